# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find the computers and groups a task names (computers by name, id or hardware key) with as few SEPM calls as possible."""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import normalize_computer
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import unique

# Up to this many computers are looked up one by one; more are picked out of one bulk listing.
LOOKED_UP_SINGLY = 10


def _index(computers, key, fold_case=False):
    index = {}
    for computer in computers:
        value = computer.get(key) or ""
        index.setdefault(value.lower() if fold_case else value, []).append(computer)
    return index


def fetch_records(client, names=(), ids=(), hardware_keys=()):
    """Raw records that may match the names, ids and hardware keys: one query each for a few, one bulk listing for more.

    The caller still picks the exact matches (a name query is a pattern, a bulk listing is everything).
    """
    names, ids, hardware_keys = list(names or ()), list(ids or ()), list(hardware_keys or ())
    if len(names) + len(ids) + len(hardware_keys) > LOOKED_UP_SINGLY:
        return client.computers()
    fetched = []
    for name in names:
        fetched.extend(client.computers(name=name))
    for computer_id in ids:
        fetched.extend(client.computers(computer_id=computer_id))
    for hardware_key in hardware_keys:
        fetched.extend(client.computers(hardware_key=hardware_key))
    return fetched


def resolve_computers(client, names=(), ids=(), hardware_keys=()):
    """Normalized computers for every name, id and hardware key; one clear error for any not found.

    A name that matches several computers is an error too: moving or restarting the
    wrong one of two clones is worse than stopping. One computer named twice (by name in
    two letter cases, or by name and id) is one computer: records are kept once per SEPM id.
    """
    names = unique(names or (), key=str.lower)
    ids, hardware_keys = unique(ids or ()), unique(hardware_keys or ())
    if not (names or ids or hardware_keys):
        return []
    fetched = fetch_records(client, names, ids, hardware_keys)
    computers = unique((normalize_computer(record) for record in fetched), key=lambda computer: computer["id"])
    by_name = _index(computers, "name", fold_case=True)
    by_id = _index(computers, "id")
    by_key = _index(computers, "hardware_key")

    found, missing, ambiguous = {}, [], []
    # Labelled by option name, so the message says which option to fix.
    for kind, values, index, fold in (("computers", names, by_name, True), ("ids", ids, by_id, False),
                                      ("hardware_keys", hardware_keys, by_key, False)):
        for value in values:
            matches = index.get(value.lower() if fold else value, [])
            if not matches:
                missing.append("%s %s" % (kind, value))
            elif len(matches) > 1:
                ambiguous.append(value)
            else:
                found[matches[0]["id"]] = matches[0]
    if missing:
        raise SepmInputError("not found in the SEPM: %s" % ", ".join(missing))
    if ambiguous:
        raise SepmInputError("computers: names matching more than one computer: %s; give ids or hardware_keys" % ", ".join(ambiguous))
    return sorted(found.values(), key=lambda computer: (computer["name"] or "").lower())


def group_named(client, option, path):
    """The group record at ``path`` (already normalized); a missing one is an error naming the option."""
    group = client.find_group(path)
    if group is None:
        raise SepmInputError("%s: group '%s' does not exist in the SEPM; give the full path with backslashes, "
                             "e.g. 'My Company\\Servers'" % (option, path))
    return group
