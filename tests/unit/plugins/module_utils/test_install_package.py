# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Inspecting an exported client install package: layouts, checksums and the one-line failures."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.install_package import compare_copy, inspect_package

PATCH = "14.3.10148.9100"


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "SEP_Win64"
    root.mkdir()
    (root / "Setup.exe").write_bytes(b"MZ" * 100)
    (root / "Sep64.msi").write_bytes(b"MSI" * 100)
    (root / "setup.ini").write_text("[Startup]\nProductVersion=%s\n" % PATCH)
    (root / "Data").mkdir()
    (root / "Data" / "sylink.xml").write_text("<x/>")
    return root


def test_a_folder_package(folder):
    package = inspect_package(str(folder), PATCH, sepm_version="14.3.25029.9000")
    assert package["layout"] == "folder" and package["installer"] == "Setup.exe"
    assert package["architecture"] == "x64" and package["platform"] == "windows"
    assert package["release"] == "14.3 RU9" and package["version_in_files"] == PATCH
    assert set(package["files"]) == {"Setup.exe", "Sep64.msi", "setup.ini", "Data/sylink.xml"}
    assert package["files"]["Setup.exe"]["sha256"] == hashlib.sha256(b"MZ" * 100).hexdigest()
    assert inspect_package(str(folder), PATCH, sha256=package["sha256"])["sha256"] == package["sha256"]


def test_a_single_file_package(tmp_path):
    path = tmp_path / "Symantec_Endpoint_Protection_14.3_RU9_MP1_Win64-bit_Client_EN.exe"
    path.write_bytes(b"payload")
    package = inspect_package(str(path), PATCH)
    assert package["layout"] == "file" and package["architecture"] == "x64" and package["size"] == 7
    assert package["sha256"] == hashlib.sha256(b"payload").hexdigest()
    assert list(package["files"]) == [path.name]


@pytest.mark.parametrize("change, message", [
    (lambda root: None, "does not exist"),
    (lambda root: root.mkdir(), "is empty"),
    (lambda root: (root.mkdir(), (root / "readme.txt").write_text("x")), "has no Setup.exe"),
    (lambda root: (root.mkdir(), (root / "Setup.exe").write_bytes(b""), (root / "a.txt").write_text("x")), "Setup.exe is empty"),
])
def test_missing_empty_or_foreign_packages_fail_in_one_line(tmp_path, change, message):
    root = tmp_path / "package"
    change(root)
    with pytest.raises(ValueError) as error:
        inspect_package(str(root), PATCH)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_an_empty_file_fails(tmp_path):
    path = tmp_path / "SEP.exe"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        inspect_package(str(path), PATCH)


@pytest.mark.parametrize("kwargs, message", [
    ({"sha256": "0" * 64}, "does not match its SHA-256"),
    ({"sha256": "xyz"}, "is not 64 hexadecimal characters"),
    ({"version": "14.3.10148.9200"}, "says it is 14.3.10148.9100 (setup.ini), not the 14.3.10148.9200"),
    ({"version": "latest"}, "is not a SEP client version"),
    ({"sepm_version": "14.3.9681.8000"}, "clients take patches only in the SEPM's own release"),
])
def test_mismatches_fail_in_one_line(folder, kwargs, message):
    arguments = dict({"version": PATCH}, **kwargs)
    with pytest.raises(ValueError) as error:
        inspect_package(str(folder), **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_copy_is_compared_file_by_file(folder):
    package = inspect_package(str(folder), PATCH)
    copy = {name.replace("/", "\\").upper(): entry["sha256"].upper() for name, entry in package["files"].items()}
    assert compare_copy(package, copy) == []
    copy["SETUP.EXE"] = "0" * 64
    del copy["DATA\\SYLINK.XML"]
    assert compare_copy(package, copy) == [
        ("Data/sylink.xml", package["files"]["Data/sylink.xml"]["sha256"], None),
        ("Setup.exe", package["files"]["Setup.exe"]["sha256"], "0" * 64)]
