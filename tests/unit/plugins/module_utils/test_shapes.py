# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shape of a reply: keys, types and lengths, never a value; and what differs between two shapes."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.shapes import (
    OTHER_KEYS, differences, merge, shape_of, text_shape, types_of,
)

PROPERTY = settings(database=None, max_examples=300, deadline=None)

FIELD_NAMES = st.from_regex(r"\A[a-z][A-Za-z0-9_]{0,12}\Z")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(min_size=3, max_size=20))
JSON = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(FIELD_NAMES, children, max_size=4)), max_leaves=20)


def keys_in(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def strings_in(value):
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return [value] if isinstance(value, str) else []


def test_a_page_of_records_becomes_one_record_shape_with_its_length():
    page = {"content": [{"computerName": "WS-FIN-0001", "ipAddresses": ["10.20.0.2"], "rebootRequired": 0},
                        {"computerName": "WS-FIN-0002", "ipAddresses": [], "rebootRequired": 1, "kernel": None}],
            "size": 1000, "sort": None}
    shape = shape_of(page)
    content = shape["keys"]["content"]
    assert content["length"] == [2, 2]
    record = content["items"]
    assert set(record["keys"]) == {"computerName", "ipAddresses", "rebootRequired", "kernel"}
    assert record["optional"] == ["kernel"], "a key only some records carry is optional"
    assert record["keys"]["ipAddresses"] == {"type": "array", "length": [0, 1], "items": {"type": "string"}}
    assert shape["keys"]["sort"] == {"type": "null"}
    assert "WS-FIN" not in json.dumps(shape) and "10.20" not in json.dumps(shape)


def test_keys_that_are_not_field_names_are_only_counted():
    shape = shape_of({"My Company\\Servers": 1, "1CA9D4F37DD94CA88A9D93D09402E3D3": 2, "Default": {"x": 1}})
    assert set(shape["keys"]) == {"Default", OTHER_KEYS}
    assert shape["keys"][OTHER_KEYS]["count"] == [2, 2]
    assert "Servers" not in json.dumps(shape) and "1CA9" not in json.dumps(shape)


def test_other_types_of_one_field_become_one_of():
    merged = merge(shape_of("14.3.10148.9100"), shape_of(None))
    assert types_of(merged) == {"null", "string"}
    assert merge(merged, shape_of("x")) == merged


def test_a_non_json_body_keeps_only_its_kind():
    assert text_shape("text/html;charset=utf-8") == {"type": "text", "content_type": "text/html"}


def test_differences_name_missing_extra_and_other_types():
    real = shape_of({"content": [{"a": 1, "b": "x", "c": True}], "total": 1})
    emulated = shape_of({"content": [{"a": 1, "b": 2, "d": None}], "total": 1})
    assert differences(real, emulated) == [
        ("content[].b", "type", "the SEPM sends string, the emulator integer"),
        ("content[].c", "missing", "the SEPM sends it, the emulator does not"),
        ("content[].d", "extra", "the emulator sends it, the SEPM did not"),
    ]


def test_a_null_is_a_value_not_another_type():
    assert differences(shape_of({"kernel": None}), shape_of({"kernel": "5.15.0"})) == []
    assert differences(shape_of({"kernel": "5.15.0"}), shape_of({"kernel": None})) == []


@PROPERTY
@given(JSON)
def test_a_shape_holds_no_string_of_the_value(value):
    text = json.dumps(shape_of(value))
    words = {"null", "boolean", "integer", "number", "string", "object", "array", "type", "keys", "items", "length",
             "optional", "one_of"} | keys_in(value)
    for string in strings_in(value):
        if string not in words:
            assert json.dumps(string) not in text


@PROPERTY
@given(JSON)
def test_a_shape_does_not_differ_from_itself(value):
    assert differences(shape_of(value), shape_of(value)) == []


@PROPERTY
@given(JSON, JSON)
def test_merging_is_symmetric_and_covers_both(first, second):
    merged = merge(shape_of(first), shape_of(second))
    assert merged == merge(shape_of(second), shape_of(first))
    assert merge(merged, shape_of(first)) == merged, "merging a covered shape again changes nothing"
    assert types_of(shape_of(first)) <= types_of(merged)


@PROPERTY
@given(st.lists(st.dictionaries(FIELD_NAMES, SCALARS, max_size=5), min_size=1, max_size=6))
def test_a_key_every_record_has_is_never_optional(records):
    shape = shape_of(records)["items"]
    everywhere = set.intersection(*(set(record) for record in records))
    assert everywhere.isdisjoint(shape.get("optional", ()))
    assert set(shape["keys"]) == set().union(*(set(record) for record in records))
