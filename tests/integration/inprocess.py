# -*- coding: utf-8 -*-
"""Run a module's main() in this process against the emulator: milliseconds instead of an ansible-playbook.

For suites that run hundreds of module invocations (property tests); the behaviour a
playbook adds (action plugins, templating) is covered by the ansible-playbook tests.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys

from ansible.module_utils import _internal as module_internal
from ansible.module_utils.testing import patch_module_args

from tests.integration.ansible_runner import collections_root

# SEPM calls that change nothing: logging in and out. Every other non-GET call is a write.
NOT_WRITES = frozenset(("POST identity/authenticate", "POST identity/logout"))


def import_collection_module(dotted):
    """``plugins.<dotted>`` of the collection as installed for the tests (``module_utils.window``)."""
    root = str(collections_root())
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("ansible_collections.endpoint_ops.sepm.plugins.%s" % dotted)


def _import_module(name):
    return import_collection_module("modules.%s" % name)


def connection_args(emulator):
    return {
        "sepm_host": emulator.host,
        "sepm_port": emulator.port,
        "sepm_username": emulator.username,
        "sepm_password": emulator.password,
        "ca_path": str(emulator.ca_path),
    }


def run_module(name, args, check_mode=False, diff=False):
    """The result dict the module printed; any exception other than its own exit is left to propagate."""
    module = _import_module(name)
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    printed = io.StringIO()
    # Once any controller code is imported into this process (another test module may do so at
    # collection), module_utils believes it runs on the controller and shows warnings instead of
    # returning them: a module process never has that code, so say so for the call.
    was_controller = module_internal.is_controller
    module_internal.is_controller = False
    try:
        with patch_module_args(args), contextlib.redirect_stdout(printed):
            try:
                module.main()
            except SystemExit:
                pass
    finally:
        module_internal.is_controller = was_controller
    return json.loads(printed.getvalue())


def write_calls(emulator):
    """``{"PATCH computers": n, ...}``: the SEPM calls that could change something, counted since the last reset."""
    counts = emulator.requests_count()["by_endpoint"]
    return {key: count for key, count in counts.items()
            if not key.startswith("GET ") and key not in NOT_WRITES and count}
