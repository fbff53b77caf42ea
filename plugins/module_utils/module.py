# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SepmModule: an AnsibleModule that owns the SEPM client and turns its errors into one line."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.args import argument_spec
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import HAS_REQUESTS, SepmClient, SepmError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import (
    UNVERIFIED_WARNING, check_connection, client_kwargs,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError


def one_line(text):
    """A message as one line: Ansible shows a multi-line msg badly, and users grep for one line."""
    return " ".join(str(text).split())


class SepmModule(AnsibleModule):
    """Builds the connection options into the spec and the client on first use.

    A module's ``main()`` is then ``module.run(work)``: ``work(module)`` returns the
    result dict. A SepmError (the SEPM refused or could not be reached) or a
    SepmInputError (bad input) becomes a ``fail_json`` with one clear line; anything
    else is a bug in the collection and fails with its traceback in ``exception``.
    """

    def __init__(self, argument_spec_extra=None, **kwargs):
        super().__init__(argument_spec=argument_spec(**(argument_spec_extra or {})), **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"))
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = SepmClient(**client_kwargs(self.params))
        return self._client

    def change(self, before, after, apply):
        """The result of moving from ``before`` to ``after``: applies it unless in check mode.

        ``before`` and ``after`` are what a user recognises (paths, names, settings), so
        ``--diff`` shows them as they are; ``changed`` is true only when they differ.
        """
        changed = before != after
        if changed and not self.check_mode:
            apply()
        result = {"changed": changed}
        if self._diff:
            result["diff"] = {"before": before, "after": after}
        return result

    def run(self, work):
        """``work(self)`` with the connection options checked first and the session closed at the end."""
        failure = None
        try:
            check_connection(self.params)
            if not self.params.get("validate_certs", True):
                self.warn(UNVERIFIED_WARNING)
            result = work(self)
        except SepmError as exc:
            details = exc.to_dict()
            failure = dict({k: v for k, v in details.items() if v is not None}, msg=one_line(exc))
        except SepmInputError as exc:
            failure = {"msg": one_line(exc)}
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Not the user's input, not the SEPM: a bug here. Keep the traceback for the report.
            failure = {
                "msg": "internal error in the endpoint_ops.sepm collection, a bug: please report it with its "
                       "traceback (ANSIBLE_DISPLAY_TRACEBACK=error shows it): %s: %s" % (type(exc).__name__, one_line(exc)),
                "exception": traceback.format_exc(),
            }
        finally:
            self.close_client()
        if failure is not None:
            self.fail_json(**failure)
        self.exit_json(**result)

    def close_client(self):
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.close()
            except Exception:  # pylint: disable=broad-exception-caught
                pass  # closing must never hide the work's own result or error


def controller_only(name, options):
    """``main()`` of a module whose action plugin does the work on the controller; its file documents it."""
    module = AnsibleModule(argument_spec=argument_spec(**options), supports_check_mode=True)
    module.fail_json(msg="endpoint_ops.sepm.%s runs on the controller through its action plugin; "
                         "call it as a task of a play on the controller" % name)
