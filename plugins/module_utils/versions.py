# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEP version strings: ordering and release. Pure Python, no Ansible or HTTP import.

A SEP 14.3 build reads ``14.3.<build>.<RU><patch>00``: ``14.3.10148.9000`` is 14.3 RU9,
``14.3.10148.9100`` its first patch. Clients take patches from the SEPM only when their
release matches the SEPM's own.
"""

from __future__ import annotations

import functools
import re

_NUMBERS = re.compile(r"\d+")


def version_key(version):
    """A tuple that orders SEP versions numerically; an empty or missing version sorts first."""
    if not version:
        return ()
    return _key_of(str(version))


# A fleet runs a handful of versions, and every reading compares each computer's with the target's.
@functools.lru_cache(maxsize=1024)
def _key_of(text):
    return tuple(int(part) for part in _NUMBERS.findall(text))


def is_below(version, target):
    """True when ``version`` is older than ``target`` (an unknown version counts as older)."""
    return version_key(version) < version_key(target)


def release_of(version):
    """``"14.3 RU9"`` for ``"14.3.10148.9100"``; None when the string is not a 4-part SEP version."""
    parts = version_key(version)
    if len(parts) < 4:
        return None
    major, minor, suffix = parts[0], parts[1], parts[3]
    update = suffix // 1000
    return "%d.%d RU%d" % (major, minor, update) if update else "%d.%d" % (major, minor)


def patch_level(version):
    """The patch number within a release: 1 for ``14.3.10148.9100``, 0 for a release build."""
    parts = version_key(version)
    if len(parts) < 4:
        return 0
    return (parts[3] % 1000) // 100


def same_release(version_a, version_b):
    release = release_of(version_a)
    return release is not None and release == release_of(version_b)
