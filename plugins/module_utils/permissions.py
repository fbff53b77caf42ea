# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which groups may take client patches: the decisions of the patch_policy role. Pure Python.

Group paths are compared by ``groups.path_key`` only, so ``My Company/Servers/SQL`` and
``My Company\\Servers\\SQL`` are one group everywhere in the decision.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import name_of, path_key

CONSOLE_PATH = ("In the SEPM console: Policies > LiveUpdate > LiveUpdate Settings > edit '%s' > Windows Settings > "
                "Advanced Settings > Product Update Settings > %s 'Download Symantec Endpoint Protection client patches "
                "using LiveUpdate', then OK, and run this again.")


def check_patch_switches(allowing_name, allowing_windows, denying_name, denying_windows):
    """Fail before any assignment when the allowing policy does not allow Windows client patches, or the denying one does.

    The API cannot change that switch, so the message says where the console has it.
    """
    if not allowing_windows:
        raise SepmInputError(
            "allowing_policy: the LiveUpdate Settings policy '%s' has client patches off for Windows; nothing was "
            "assigned. The API cannot change this setting. %s" % (allowing_name, CONSOLE_PATH % (allowing_name, "check")))
    if denying_windows:
        raise SepmInputError(
            "denying_policy: the LiveUpdate Settings policy '%s' has client patches on for Windows; nothing was "
            "assigned. The API cannot change this setting. %s" % (denying_name, CONSOLE_PATH % (denying_name, "uncheck")))


def _by_key(paths):
    """``{path_key: path}`` for the paths a user gave, first spelling kept."""
    keyed = {}
    for path in paths:
        keyed.setdefault(path_key(path), path)
    return keyed


def check_conflicts(allowed, denied):
    """A group both allowed and denied (in any spelling of its path) is an error; it needs no SEPM to find."""
    denied_keys = _by_key(denied)
    both = [path for key, path in _by_key(allowed).items() if key in denied_keys]
    if both:
        raise SepmInputError("allowed_groups and denied_groups both name %s; nothing was assigned" % ", ".join(both))


def decide(group_records, allowed, denied, deny_every_other_group=False, staging_group_name=None):
    """``(allowed_records, denied_records)``: the SEPM's group records to allow and to deny, each once.

    Raises SepmInputError, before anything is assigned, for a group both allowed and
    denied and for named groups the SEPM does not have. With ``deny_every_other_group``
    every group not allowed is denied too, except the rollout's staging groups (their
    policy is the rollout's business while a batch runs).
    """
    records = {}
    for record in group_records:
        if record.get("fullPathName"):
            records.setdefault(path_key(record["fullPathName"]), record)
    check_conflicts(allowed, denied)
    allowed_keys, denied_keys = _by_key(allowed), _by_key(denied)
    for option, keyed in (("allowed_groups", allowed_keys), ("denied_groups", denied_keys)):
        missing = [path for key, path in keyed.items() if key not in records]
        if missing:
            raise SepmInputError("%s: groups that do not exist in the SEPM: %s; nothing was assigned (give full "
                                 "paths such as 'My Company\\Servers\\SQL')" % (option, ", ".join(missing)))
    deny = {key: records[key] for key in denied_keys}
    if deny_every_other_group:
        staging = (staging_group_name or "").strip().lower()
        for key, record in records.items():
            if key in allowed_keys or (staging and name_of(key) == staging):
                continue
            deny.setdefault(key, record)
    return [records[key] for key in allowed_keys], sorted(deny.values(), key=_path_order)


def _path_order(record):
    return (record.get("fullPathName") or "").lower()
