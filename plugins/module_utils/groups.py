# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEPM group paths and group records in the collection's own shape. Pure Python."""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

SEPARATOR = "\\"
ROOT = "My Company"


_SEPARATORS = re.compile(r"[\\/]+")


def split_path(path):
    """The names along a group path; ``/`` and runs of backslashes separate, empty parts are dropped."""
    return [part.strip() for part in _SEPARATORS.split(str(path or "").strip()) if part.strip()]


def normalize_path(path):
    """``My Company\\Servers`` with single separators and no stray spaces.

    ``/`` counts as a separator, and so does a run of backslashes: a path written in a
    single-quoted YAML string with doubled backslashes still names the same group.
    """
    if not path or not str(path).strip():
        raise SepmInputError("a group path must not be empty")
    parts = [part.strip() for part in _SEPARATORS.split(str(path).strip())]
    if any(not part for part in parts):
        raise SepmInputError("group path '%s' has an empty part" % path)
    return SEPARATOR.join(parts)


def path_key(path):
    """What two spellings of one group path have in common: ``My Company/Servers`` and
    ``my company\\servers`` give the same key, as the SEPM compares paths without case."""
    return normalize_path(path).lower()


def is_root(path):
    """True for a path of one name (``My Company``): the SEPM's own root, never created or deleted."""
    return parent_of(normalize_path(path)) is None


def parent_of(path):
    """The parent's path, or None for the root."""
    head, _sep, _tail = path.rpartition(SEPARATOR)
    return head or None


def name_of(path):
    return path.rpartition(SEPARATOR)[2]


def ancestors(path):
    """Every ancestor path of ``path``, root first, without ``path`` itself."""
    parts = path.split(SEPARATOR)
    return [SEPARATOR.join(parts[:count]) for count in range(1, len(parts))]


def describe_group(record):
    """What a user sees of a group: its path, description and whether it inherits policies."""
    return {
        "path": record.get("fullPathName"),
        "description": record.get("description") or "",
        "inherits": bool(record.get("policyInheritanceEnabled")),
    }


def group_facts(record):
    """A group record with stable snake_case keys, for the info modules."""
    facts = describe_group(record)
    facts.update({
        "id": record.get("id"),
        "name": record.get("name"),
        "parent": parent_of(record.get("fullPathName") or ""),
        "computers": record.get("numberOfPhysicalComputers"),
        "policy_serial": record.get("policySerialNumber"),
        "default_location_id": record.get("defaultLocationId"),
    })
    return facts


def group_sizes(records):
    """``{full path: computers}`` from SEPM group records (``GET groups``): how many computers each group holds itself."""
    return dict((record.get("fullPathName"), record.get("numberOfPhysicalComputers") or 0) for record in records
                if record.get("fullPathName"))
