# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What an exported SEP client install package is, read from its files. Pure Python, read-only.

The SEPM creates a client install package from each client patch it downloads; exporting it
has no REST endpoint, so an administrator exports it once from the console, as a folder
(``Setup.exe``, ``setup.ini``, ``Sep64.msi`` / ``Sep.msi``, ...) or as a single executable,
and the rollout's package method starts from there.

``inspect_package`` reads the layout, the platform and architecture where the files say so
(the MSI names in a folder, ``Win64`` / ``x64`` / ``Win32`` / ``x86`` in a single file's name,
``ProductVersion`` in ``setup.ini``), the size, the SHA-256 (of the file; of a folder, over
the sorted list of its files' SHA-256, each named by its relative path) and every file's
SHA-256, which the rollout compares with the copy on each host. It fails with one line
(SepmInputError) on a missing or empty package, a checksum or version that does not match, or a
release other than the SEPM's: clients take patches only in the SEPM's own release.
"""

from __future__ import annotations

import hashlib
import os
import re

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of, version_key

INSTALLER_NAMES = ("setup.exe", "sep64.msi", "sep.msi")
INSTALLER_SUFFIXES = (".exe", ".msi")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_X64 = re.compile(r"(win[-_ ]?64|x64|amd64|64[-_ ]?bit)", re.IGNORECASE)
_X86 = re.compile(r"(win[-_ ]?32|x86|32[-_ ]?bit)", re.IGNORECASE)
_INI_VERSION = re.compile(r"^\s*(?:ProductVersion|ClientVersion|Version)\s*=\s*([0-9][0-9.]+)\s*$", re.IGNORECASE | re.MULTILINE)
CHUNK = 1024 * 1024


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_sha256(files):
    """One SHA-256 for a folder: over ``<relative path> <sha256>`` lines, sorted by path."""
    lines = "".join("%s %s\n" % (path, files[path]["sha256"]) for path in sorted(files))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def _architecture(names):
    """The architectures the names say, or ``unknown``."""
    found = []
    for name in names:
        base = os.path.basename(name).lower()
        if base == "sep64.msi" or _X64.search(base):
            found.append("x64")
        elif base == "sep.msi" or _X86.search(base):
            found.append("x86")
    found = sorted(set(found))
    return ", ".join(found) if found else "unknown"


def _ini_version(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            match = _INI_VERSION.search(handle.read())
    except OSError:
        return None
    return match.group(1) if match else None


def _walk(root):
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            files[relative] = {"size": os.path.getsize(full), "sha256": file_sha256(full)}
    return files


def check_version(version, label="version"):
    if not version or release_of(version) is None:
        raise SepmInputError("%s %r is not a SEP client version such as 14.3.10148.9100 (state the version of the "
                             "patch the package was created from)" % (label, version))
    return str(version).strip()


def inspect_package(path, version, sha256="", sepm_version=""):
    """Everything the rollout needs to know of the package at ``path`` (see the module docstring)."""
    version = check_version(version)
    expected = (sha256 or "").strip().lower()
    if expected and not _SHA256.match(expected):
        raise SepmInputError("sha256 %r is not 64 hexadecimal characters" % sha256)
    if not path:
        raise SepmInputError("give the path of the exported install package (a folder or one executable)")
    path = os.path.abspath(os.path.expanduser(str(path)))
    if not os.path.exists(path):
        raise SepmInputError("the install package %s does not exist (export it once from the SEPM console, see the role's README)" % path)
    stated_in_files = None
    if os.path.isdir(path):
        files = _walk(path)
        if not files or not any(entry["size"] for entry in files.values()):
            raise SepmInputError("the install package folder %s is empty" % path)
        top = {name.lower(): name for name in files if "/" not in name}
        installer = next((top[name] for name in INSTALLER_NAMES if name in top), None)
        if installer is None:
            raise SepmInputError("the folder %s is not a SEP client install package: it has no Setup.exe, Sep64.msi or Sep.msi" % path)
        for name, entry in files.items():
            if entry["size"] == 0 and name.lower() in INSTALLER_NAMES:
                raise SepmInputError("the install package's %s is empty" % name)
        layout = "folder"
        digest = manifest_sha256(files)
        architecture = _architecture(list(files))
        if "setup.ini" in top:
            stated_in_files = _ini_version(os.path.join(path, top["setup.ini"]))
    else:
        name = os.path.basename(path)
        if not name.lower().endswith(INSTALLER_SUFFIXES):
            raise SepmInputError("%s is not a SEP client install package: a single-file package is an .exe or .msi" % path)
        size = os.path.getsize(path)
        if size == 0:
            raise SepmInputError("the install package %s is empty" % path)
        digest = file_sha256(path)
        files = {name: {"size": size, "sha256": digest}}
        installer = name
        layout = "file"
        architecture = _architecture([name])
    if expected and expected != digest:
        raise SepmInputError("the install package %s does not match its SHA-256: expected %s, found %s" % (path, expected, digest))
    if stated_in_files and version_key(stated_in_files) != version_key(version):
        raise SepmInputError("the install package says it is %s (setup.ini), not the %s you stated" % (stated_in_files, version))
    release = release_of(version)
    if sepm_version:
        sepm_release = release_of(sepm_version)
        if release != sepm_release:
            raise SepmInputError("the install package is %s (%s), the SEPM runs %s (%s): clients take patches only in the "
                                 "SEPM's own release" % (version, release, sepm_version, sepm_release))
    return {
        "path": path, "layout": layout, "installer": installer, "platform": "windows", "architecture": architecture,
        "size": sum(entry["size"] for entry in files.values()), "sha256": digest, "files": files,
        "version": version, "release": release, "version_in_files": stated_in_files,
    }


def compare_copy(package, found):
    """Files of the package whose copy differs: ``[(relative path, expected, found)]`` (found None: missing)."""
    found = {str(name).replace("\\", "/").lower(): (str(value or "").lower()) for name, value in (found or {}).items()}
    wrong = []
    for name in sorted(package["files"]):
        expected = package["files"][name]["sha256"]
        got = found.get(name.lower())
        if got != expected:
            wrong.append((name, expected, got or None))
    return wrong
