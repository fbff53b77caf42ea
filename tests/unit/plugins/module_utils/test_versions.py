# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of SEP version ordering and release parsing: examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import (
    is_below,
    patch_level,
    release_of,
    same_release,
    version_key,
)

PROPERTY = settings(database=None, max_examples=300)

# A SEP 14.x build: 14.3.<build>.<RU><patch>00
MAJOR = st.integers(min_value=11, max_value=20)
MINOR = st.integers(min_value=0, max_value=9)
BUILD = st.integers(min_value=0, max_value=99999)
UPDATE = st.integers(min_value=0, max_value=99)
PATCH = st.integers(min_value=0, max_value=9)
PARTS = st.lists(st.integers(min_value=0, max_value=99999), min_size=1, max_size=5)


def sep_version(major, minor, build, update, patch):
    return "%d.%d.%d.%d" % (major, minor, build, update * 1000 + patch * 100)


def dotted(parts):
    return ".".join(str(part) for part in parts)


# -- examples -----------------------------------------------------------------------------


@pytest.mark.parametrize("version, key", [
    ("14.3.10148.9100", (14, 3, 10148, 9100)),
    ("14.3.9717.7000", (14, 3, 9717, 7000)),
    ("14.3 RU9", (14, 3, 9)),
    ("", ()),
    (None, ()),
])
def test_version_key_examples(version, key):
    assert version_key(version) == key


@pytest.mark.parametrize("older, newer", [
    ("14.3.9717.7000", "14.3.10148.9000"),   # build numbers compare as numbers, not text
    ("14.3.10148.9000", "14.3.10148.9100"),  # a patch is newer than its release
    ("14.2.5587.2100", "14.3.558.0000"),
    ("14.3.10148.9000", "15.0.0.0"),
    ("", "14.3.558.0000"),                   # unknown counts as older
    (None, "14.3.558.0000"),
])
def test_is_below_examples(older, newer):
    assert is_below(older, newer)
    assert not is_below(newer, older)


def test_equal_versions_are_not_below_each_other():
    assert not is_below("14.3.10148.9100", "14.3.10148.9100")


def test_versions_sort_numerically():
    versions = ["14.3.10148.9100", "14.3.9717.7000", "14.3.10148.9000", "", "14.2.5587.2100"]
    assert sorted(versions, key=version_key) == [
        "", "14.2.5587.2100", "14.3.9717.7000", "14.3.10148.9000", "14.3.10148.9100",
    ]


@pytest.mark.parametrize("version, release, patch", [
    ("14.3.10148.9000", "14.3 RU9", 0),
    ("14.3.10148.9100", "14.3 RU9", 1),
    ("14.3.9717.7000", "14.3 RU7", 0),
    ("14.3.4615.2000", "14.3 RU2", 0),
    ("14.3.558.0000", "14.3", 0),
    ("14.3.11213.10100", "14.3 RU10", 1),
])
def test_release_and_patch_level_examples(version, release, patch):
    assert release_of(version) == release
    assert patch_level(version) == patch


@pytest.mark.parametrize("version", ["14.3", "14.3.10148", "", None, "unknown"])
def test_not_a_four_part_version(version):
    assert release_of(version) is None
    assert patch_level(version) == 0


def test_same_release():
    assert same_release("14.3.10148.9000", "14.3.10148.9100")
    assert not same_release("14.3.9717.7000", "14.3.10148.9000")
    assert not same_release(None, None)
    assert not same_release("14.3", "14.3")


# -- properties ----------------------------------------------------------------------------


@PROPERTY
@given(PARTS, PARTS)
def test_is_below_agrees_with_numeric_tuples(left, right):
    assert is_below(dotted(left), dotted(right)) == (tuple(left) < tuple(right))


@PROPERTY
@given(PARTS, PARTS)
def test_ordering_is_total(left, right):
    a, b = dotted(left), dotted(right)
    outcomes = [is_below(a, b), is_below(b, a), version_key(a) == version_key(b)]
    assert outcomes.count(True) == 1


@PROPERTY
@given(PARTS, PARTS, PARTS)
def test_ordering_is_transitive(first, second, third):
    a, b, c = dotted(first), dotted(second), dotted(third)
    if is_below(a, b) and is_below(b, c):
        assert is_below(a, c)


@PROPERTY
@given(PARTS)
def test_ordering_is_irreflexive_and_ignores_leading_zeros(parts):
    version = dotted(parts)
    padded = ".".join("0%d" % part for part in parts)
    assert not is_below(version, version)
    assert version_key(padded) == version_key(version)


@PROPERTY
@given(st.lists(PARTS, max_size=8))
def test_sorting_by_key_matches_sorting_tuples(many):
    versions = [dotted(parts) for parts in many]
    assert [version_key(v) for v in sorted(versions, key=version_key)] == sorted(tuple(parts) for parts in many)


@PROPERTY
@given(MAJOR, MINOR, BUILD, UPDATE, PATCH)
def test_release_of_generated_versions(major, minor, build, update, patch):
    version = sep_version(major, minor, build, update, patch)
    expected = "%d.%d RU%d" % (major, minor, update) if update else "%d.%d" % (major, minor)
    assert release_of(version) == expected


@PROPERTY
@given(MAJOR, MINOR, BUILD, UPDATE, PATCH)
def test_patch_level_of_generated_versions(major, minor, build, update, patch):
    assert patch_level(sep_version(major, minor, build, update, patch)) == patch


@PROPERTY
@given(MAJOR, MINOR, BUILD, UPDATE, PATCH, PATCH)
def test_patches_of_a_release_share_it_and_order_by_patch(major, minor, build, update, patch_a, patch_b):
    version_a = sep_version(major, minor, build, update, patch_a)
    version_b = sep_version(major, minor, build, update, patch_b)
    assert same_release(version_a, version_b)
    assert is_below(version_a, version_b) == (patch_a < patch_b)
