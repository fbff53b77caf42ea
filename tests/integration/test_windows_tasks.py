# -*- coding: utf-8 -*-
"""The rollout role's Windows task file against the documentation of the ansible.windows it names.

ansible-lint resolves every module of the file (it fails when ansible.windows is missing) but does not
check the arguments of PowerShell modules (it cannot run them on POSIX). This test does: every argument
of every ansible.windows task is an option or alias of that module, every required option is given,
and a literal value of an option with choices is one of them. Nothing here runs on a Windows host.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("ansible_collections.ansible.windows", reason="ansible.windows is not installed (tests/requirements.txt)")

from ansible.plugins.loader import fragment_loader, module_loader  # noqa: E402  pylint: disable=wrong-import-position
from ansible.utils.plugin_docs import get_docstring  # noqa: E402  pylint: disable=wrong-import-position

TASKS = Path(__file__).resolve().parents[2] / "roles" / "rollout" / "tasks" / "endpoint_windows.yml"
TASK_KEYWORDS = {"name", "when", "register", "delegate_to", "until", "retries", "delay", "vars", "changed_when",
                 "failed_when", "tags", "no_log", "become", "become_method", "become_user", "check_mode", "loop",
                 "loop_control", "environment", "ignore_errors"}


def windows_tasks():
    tasks = yaml.safe_load(TASKS.read_text(encoding="utf-8"))
    found = []
    for task in tasks:
        modules = [key for key in task if key not in TASK_KEYWORDS]
        assert len(modules) == 1, (task.get("name"), modules)
        if modules[0].startswith("ansible.windows."):
            found.append((task["name"], modules[0], task[modules[0]] or {}))
    return found


def module_doc(fqcn):
    context = module_loader.find_plugin_with_context(fqcn)
    assert context.resolved, "%s is not installed" % fqcn
    path = context.plugin_resolved_path
    doc_path = path[:-len(".ps1")] + ".py" if path.endswith(".ps1") else path
    doc = get_docstring(doc_path, fragment_loader, collection_name="ansible.windows")[0]
    assert doc, "no documentation for %s" % fqcn
    return doc


def test_the_windows_task_file_uses_ansible_windows():
    assert {module for _name, module, _args in windows_tasks()} >= {
        "ansible.windows.win_powershell", "ansible.windows.win_copy", "ansible.windows.win_package",
        "ansible.windows.win_reboot", "ansible.windows.win_service_info"}


@pytest.mark.parametrize("name, module, args", windows_tasks(), ids=[task[0] for task in windows_tasks()])
def test_every_argument_is_an_option_of_the_module(name, module, args):
    options = module_doc(module).get("options") or {}
    known = {}
    for option, spec in options.items():
        known[option] = spec
        for alias in spec.get("aliases") or []:
            known[alias] = spec
    for arg, value in args.items():
        assert arg in known, "%s: %s has no option %r" % (name, module, arg)
        choices = known[arg].get("choices")
        if choices and isinstance(value, str) and "{{" not in value:
            assert value in choices, "%s: %s=%r is not one of %s" % (name, arg, value, choices)
    for option, spec in options.items():
        if spec.get("required"):
            assert option in args or any(alias in args for alias in spec.get("aliases") or []), \
                "%s: %s needs %s" % (name, module, option)
