# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SepmModule: an AnsibleModule that owns the SEPM client and turns its errors into one line."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.args import argument_spec, client_kwargs
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import HAS_REQUESTS, SepmClient, SepmError


class SepmModule(AnsibleModule):
    """Builds the connection options into the spec and the client on first use.

    A module's ``main()`` is then ``module.run(work)``: ``work(module)`` returns the
    result dict, and any SepmError becomes a ``fail_json`` with one clear line.
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
        try:
            result = work(self)
        except SepmError as exc:
            details = exc.to_dict()
            self.close_client()
            self.fail_json(msg=str(exc), **{k: v for k, v in details.items() if v is not None})
        except ValueError as exc:
            # Bad input found after the argument spec (a malformed window, an unknown choice).
            self.close_client()
            self.fail_json(msg=str(exc))
        self.close_client()
        self.exit_json(**result)

    def close_client(self):
        if self._client is not None:
            self._client.close()
