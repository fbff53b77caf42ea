# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the SEPM shows of downloaded client packages and patches. Pure Python.

The API has no call that lists LiveUpdate downloads or client install packages; the one
sign it gives is the critical event "New software package available" that the SEPM
raises after it downloaded a package. These helpers read those events.
"""

from __future__ import annotations

import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of, version_key

PACKAGE_SUBJECT = "new software package available"
_DOWNLOADED = re.compile(r"Successfully downloaded the (?P<product>.+?) package from LiveUpdate", re.IGNORECASE)
_VERSION = re.compile(r"\b\d+\.\d+\.\d+\.\d+\b")
_RELEASE = re.compile(r"\b(?P<major>\d+)\.(?P<minor>\d+)(?:\s+RU(?P<update>\d+))?\b", re.IGNORECASE)

CONSOLE_STEPS = (
    "In the SEPM console: Admin > Servers > Local Site > Edit Site Properties > LiveUpdate > "
    "Content Types to Download > Change Selection: select 'Client Patches' (selected by default from 14.3 RU2), "
    "then 'Download LiveUpdate content' or wait for the next LiveUpdate schedule; the SEPM raises a "
    "'New software package available' notice when a client patch package has arrived."
)


def _platform(product):
    lowered = product.lower()
    if "linux" in lowered:
        return "linux"
    if "mac" in lowered:
        return "mac"
    return "windows"


def package_from_event(event):
    """A downloaded package from a critical event, or None when the event is about something else."""
    if (event.get("subject") or "").strip().lower() != PACKAGE_SUBJECT:
        return None
    match = _DOWNLOADED.search(event.get("message") or "")
    if not match:
        return None
    product = match.group("product").strip()
    versions = _VERSION.findall(product)
    version = versions[-1] if versions else None
    release = release_of(version) if version else None
    if release is None:
        found = _RELEASE.search(product)
        if found:
            release = "%s.%s" % (found.group("major"), found.group("minor"))
            if found.group("update"):
                release += " RU%s" % found.group("update")
    return {
        "product": product,
        "platform": _platform(product),
        "version": version,
        "release": release,
        "is_patch": "patch" in product.lower(),
        "arrived": event.get("eventDateTime"),
        "event_id": event.get("eventId"),
    }


def packages_from_events(critical_events):
    events = (critical_events or {}).get("criticalEventsInfoList") or []
    packages = [package for package in map(package_from_event, events) if package]
    packages.sort(key=lambda package: (version_key(package["version"]), package["arrived"] or ""), reverse=True)
    return packages


def client_versions(stats):
    """``{version: count}`` from ``stats/client/version``, newest first."""
    counts = {}
    for entry in (stats or {}).get("clientVersionList") or []:
        version = entry.get("version") or entry.get("formattedVersion") or "unknown"
        counts[version] = counts.get(version, 0) + int(entry.get("clientsCount") or 0)
    return dict(sorted(counts.items(), key=lambda item: version_key(item[0]), reverse=True))
