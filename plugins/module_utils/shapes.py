# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shape of a JSON reply, never its values, and what differs between two shapes. Pure Python.

A shape keeps what a developer needs to make the emulator answer like a real SEPM and
nothing a user would mind sharing: the keys of each object, the JSON type of each value,
and the lengths of lists. A list's items are merged into one shape (the union of their
keys; a key some items lack is ``optional``), so a page of 1,000 computers costs what one
does. An object key that does not look like a field name (``Default``, an id, a path)
could be data rather than a field, so it is folded into ``OTHER_KEYS`` and only counted.

    {"type": "object", "keys": {"content": {"type": "array", "length": [1, 1], "items": ...}}}
"""

from __future__ import annotations

import re

SCALAR_TYPES = ("null", "boolean", "integer", "number", "string")
# Field names of SEPM replies: camelCase, snake_case, upper-case words (API_VERSION).
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# ... but a 32-character hex id is data even when it spells a field name.
_HEX_ID = re.compile(r"^[0-9A-Fa-f]{16,}$")
OTHER_KEYS = "(keys that are not field names)"


def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def is_field_name(key):
    return isinstance(key, str) and bool(_FIELD_NAME.match(key)) and not _HEX_ID.match(key)


def shape_of(value):
    """The shape of a decoded JSON value (dicts, lists, strings, numbers, booleans, None)."""
    if isinstance(value, dict):
        keys = {}
        other = 0
        for key, item in value.items():
            if is_field_name(key):
                keys[key] = shape_of(item)
            else:
                other += 1
        shape = {"type": "object", "keys": keys}
        if other:
            shape["keys"][OTHER_KEYS] = {"type": "object", "keys": {}, "count": [other, other]}
        return shape
    if isinstance(value, (list, tuple)):
        shape = {"type": "array", "length": [len(value), len(value)]}
        items = None
        for item in value:
            items = shape_of(item) if items is None else merge(items, shape_of(item))
        if items is not None:
            shape["items"] = items
        return shape
    return {"type": _scalar(value)}


def text_shape(content_type):
    """The shape of a reply body that is not JSON (an HTML error page): only what kind of text it is."""
    kind = (content_type or "").split(";")[0].strip().lower() or "unknown"
    return {"type": "text", "content_type": kind}


def _members(shape):
    return shape["one_of"] if "one_of" in shape else [shape]


def _span(first, second):
    return [min(first[0], second[0]), max(first[1], second[1])]


def merge(first, second):
    """One shape that covers both: the union of keys, of types and of list lengths."""
    if "one_of" in first or "one_of" in second or first["type"] != second["type"]:
        return _union(_members(first) + _members(second))
    kind = first["type"]
    if kind == "object":
        keys = {}
        for key in sorted(set(first["keys"]) | set(second["keys"])):
            if key in first["keys"] and key in second["keys"]:
                keys[key] = merge(first["keys"][key], second["keys"][key])
            else:
                keys[key] = first["keys"].get(key) or second["keys"][key]
        optional = set(first.get("optional", ())) | set(second.get("optional", ()))
        optional |= set(first["keys"]) ^ set(second["keys"])
        merged = {"type": "object", "keys": keys}
        if optional:
            merged["optional"] = sorted(optional)
        if "count" in first or "count" in second:
            merged["count"] = _span(first.get("count", [0, 0]), second.get("count", [0, 0]))
        return merged
    if kind == "array":
        merged = {"type": "array", "length": _span(first["length"], second["length"])}
        if "items" in first and "items" in second:
            merged["items"] = merge(first["items"], second["items"])
        elif "items" in first or "items" in second:
            merged["items"] = first.get("items") or second["items"]
        return merged
    if kind == "text":
        return first if first == second else _union([first, second])
    return first


def _union(members):
    """A ``one_of`` shape with one member per type, members of one type merged."""
    by_type = {}
    for member in members:
        key = member["type"] if member["type"] != "text" else "text:" + member.get("content_type", "")
        by_type[key] = merge(by_type[key], member) if key in by_type else member
    if len(by_type) == 1:
        return next(iter(by_type.values()))
    return {"one_of": [by_type[key] for key in sorted(by_type)]}


def types_of(shape):
    """The JSON types a shape allows, ``null`` included."""
    return {member["type"] for member in _members(shape)}


def _member(shape, kind):
    return next((member for member in _members(shape) if member["type"] == kind), None)


def differences(real, emulated, where=""):
    """What differs from the real shape in the emulated one: ``[(path, kind, detail)]``.

    ``kind``: ``missing`` (the real SEPM sends the key, the emulator does not), ``extra``
    (the emulator sends a key the real SEPM did not) or ``type`` (other JSON types). A null
    on one side is a value, not a type: a field that is null in one reply and a string in
    another is no difference. Lengths of lists are not compared (they are the fleet's).
    """
    found = []
    real_types, emulated_types = types_of(real) - {"null"}, types_of(emulated) - {"null"}
    if real_types and emulated_types and real_types != emulated_types:
        found.append((where or "(reply)", "type", "the SEPM sends %s, the emulator %s" % (
            " or ".join(sorted(real_types)), " or ".join(sorted(emulated_types)))))
    real_object, emulated_object = _member(real, "object"), _member(emulated, "object")
    if real_object and emulated_object:
        for key in sorted(set(real_object["keys"]) | set(emulated_object["keys"])):
            path = "%s.%s" % (where, key) if where else key
            if key not in emulated_object["keys"]:
                found.append((path, "missing", "the SEPM sends it, the emulator does not"))
            elif key not in real_object["keys"]:
                found.append((path, "extra", "the emulator sends it, the SEPM did not"))
            else:
                found.extend(differences(real_object["keys"][key], emulated_object["keys"][key], path))
    real_array, emulated_array = _member(real, "array"), _member(emulated, "array")
    if real_array and emulated_array and "items" in real_array and "items" in emulated_array:
        found.extend(differences(real_array["items"], emulated_array["items"], (where or "") + "[]"))
    return found
