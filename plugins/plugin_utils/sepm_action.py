# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base of action plugins that talk to the SEPM from the controller process.

The rollout runs on the controller as action plugins, not as modules, so that it can show
a progress line while a batch runs (a module speaks only when it ends). The connection
options, their environment fallbacks and ``module_defaults`` for ``group/endpoint_ops.sepm.sepm``
work as they do for the modules: one argument spec (``module_utils/args.py``) serves both.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.args import argument_spec
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import HAS_REQUESTS, SepmError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import CONNECTION_ENV, client_for
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

try:  # ansible-core before 2.19 applies module_defaults only when an action runs a module
    from ansible.executor.module_common import get_action_args_with_defaults
except ImportError:  # 2.19 and later apply them to every task's arguments
    get_action_args_with_defaults = None

display = Display()


class SepmAction(ActionBase):
    """``work(params, client, task_vars)`` returns the result; SEPM and input errors fail in one line.

    ``VARIABLES``: the options an action also reads from the play's variables named with its
    ``variable_prefix`` (the rollout role passes ``rollout_``): an option the task does not give is
    the variable ``<prefix><option>``, so the role hands its variables over once and the plan and the
    forecast cannot drift apart. ``VARIABLE_NAMES`` maps an option to another variable name.
    """

    OPTIONS = {}
    VARIABLES = ()
    VARIABLE_NAMES = {}
    _supports_check_mode = True

    def _arguments(self):
        args = dict(self._task.args)
        if get_action_args_with_defaults is not None:
            args = get_action_args_with_defaults(
                self._task.resolved_action or self._task.action, args, self._task.module_defaults, self._templar,
                action_groups=self._task._parent._play._action_groups)
        # A module sees the play's and the task's `environment:`; this code runs in the controller's
        # process, whose environment does not have them, so the SEPM_* fallbacks read them here.
        environment = self._task_environment()
        for option, variable in CONNECTION_ENV.items():
            if args.get(option) is None and variable in environment:
                args[option] = environment[variable]
        return args

    def _with_variables(self, args, task_vars):
        """The task's arguments, with each option it leaves out taken from ``<variable_prefix><option>`` when set.

        Returns (arguments, {option: variable} for the options taken from variables).
        """
        prefix = args.get("variable_prefix")
        taken = {}
        if not prefix or not self.VARIABLES:
            return args, taken
        args = dict(args)
        for option in self.VARIABLES:
            variable = prefix + self.VARIABLE_NAMES.get(option, option)
            if option not in args and variable in task_vars:
                args[option] = self._templar.template(task_vars[variable])
                taken[option] = variable
        return args, taken

    def _task_environment(self):
        environment = {}
        for entry in self._task.environment or []:
            entry = self._templar.template(entry)
            if isinstance(entry, dict):
                environment.update(entry)
        return environment

    def say(self, line):
        display.display("  " + line)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args, taken = self._with_variables(self._arguments(), task_vars or {})
        validated = ArgumentSpecValidator(argument_spec(**self.OPTIONS)).validate(args)
        if validated.error_messages:
            messages = "; ".join(validated.error_messages)
            for option, variable in taken.items():
                # The user set the variable, not the option: name what they set.
                messages = messages.replace("'%s'" % option, "'%s'" % variable)
            result.update(failed=True, msg=messages)
            return result
        params = validated.validated_parameters
        if not HAS_REQUESTS:
            result.update(failed=True, msg="the Python library 'requests' is not installed on the controller")
            return result
        client = None
        try:
            client = self.make_client(params)
            result.update(self.work(params, client, task_vars or {}))
        except (SepmError, SepmInputError) as exc:
            result.update(failed=True, msg=str(exc))
            if isinstance(exc, SepmError):
                result.update({key: value for key, value in exc.to_dict().items() if value is not None})
        except Exception as exc:  # pylint: disable=broad-except
            result.update(failed=True, msg="%s: %s (a bug in endpoint_ops.sepm; please report it)" % (type(exc).__name__, exc),
                          exception=traceback.format_exc())
        finally:
            if client is not None:
                client.close()
        return result

    def make_client(self, params):
        """The SEPM client for the validated options (an action that records its replies passes its own session).

        The modules' checks too (a port of 0, a max_request_bytes no SEPM takes), before any call.
        """
        return client_for(params)

    def work(self, params, client, task_vars):
        raise NotImplementedError
