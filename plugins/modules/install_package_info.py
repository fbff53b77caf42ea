#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: install_package_info
short_description: Inspect a SEP client install package exported from the SEPM console
version_added: 0.2.0
description:
  - Reads an exported SEP client install package - a folder (C(Setup.exe), C(setup.ini), C(Sep64.msi), ...)
    or a single executable - and returns its layout, platform and architecture where its files say so
    (the MSI names, C(Win64)/C(x64)/C(Win32)/C(x86) in a file name), size, SHA-256 and the SHA-256 of every file.
  - Fails in one line on a missing or empty package, a package that is not a SEP client package, a
    SHA-256 other than O(sha256), a C(setup.ini) version other than O(version), and a release other than
    the SEPM's (O(sepm_version)) - clients take patches only in the SEPM's own release.
  - The SEPM has no REST call to export a package; export it once from the console (Admin > Install
    Packages > Client Install Packages > Export) and point O(path) at the result.
  - Reads only; the package must be on the host the module runs on (the controller in the rollout role).
author:
  - endpoint_ops maintainers (@endpoint-ops)
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to diff.
    support: none
  platform:
    description: Runs where the package is, normally the controller.
    support: full
    platforms: posix
options:
  path:
    description:
      - The exported package, a folder or one C(.exe)/C(.msi) file. For a package on an HTTPS server, download it to
        the controller first with M(ansible.builtin.get_url) and its C(checksum), then inspect the download.
    type: path
    required: true
  version:
    description:
      - The client version the package installs, as you exported it (for example C(14.3.10148.9100)).
      - The export does not always carry it in a readable file; where C(setup.ini) states one, it must match.
    type: str
    required: true
  sha256:
    description:
      - The SHA-256 the package must have (of the file; of a folder, the RV(package.sha256) this module returned before).
    type: str
    default: ""
  sepm_version:
    description:
      - The SEPM's version (from M(endpoint_ops.sepm.version_info)); the package's release must be the same.
    type: str
    default: ""
notes:
  - The rollout role runs this module itself when O(version) and O(path) are given as C(rollout_package_version)
    and C(rollout_package_path).
'''

EXAMPLES = r'''
- name: Download a package that an HTTPS server holds, checksum checked
  ansible.builtin.get_url:
    url: https://files.example.com/sep/SEP_14.3_RU9_MP1_Win64.exe
    dest: /var/lib/sep/SEP_14.3_RU9_MP1_Win64.exe
    checksum: sha256:0f4e...
    mode: "0644"

- name: Inspect it against the SEPM's release
  endpoint_ops.sepm.install_package_info:
    path: /var/lib/sep/SEP_14.3_RU9_MP1_Win64.exe
    version: 14.3.10148.9100
    sepm_version: "{{ sepm.version }}"
  register: package
'''

RETURN = r'''
package:
  description: What the package is.
  returned: success
  type: dict
  contains:
    path:
      description: Absolute path of the package.
      type: str
    layout:
      description: C(folder) or C(file).
      type: str
    installer:
      description: The file to run, relative to the folder (C(Setup.exe), C(Sep64.msi)) or the single file's name.
      type: str
    platform:
      description: C(windows).
      type: str
    architecture:
      description: C(x64), C(x86), both, or C(unknown) when no file name says.
      type: str
    size:
      description: Bytes, all files together.
      type: int
    sha256:
      description: SHA-256 of the file, or of a folder's sorted list of C(<relative path> <sha256>) lines.
      type: str
    files:
      description: Every file by relative path, with C(size) and C(sha256); the rollout checks each copy against it.
      type: dict
    version:
      description: The version you stated.
      type: str
    release:
      description: Its release, for example C(14.3 RU9).
      type: str
    version_in_files:
      description: The version C(setup.ini) states, or null.
      type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.install_package import inspect_package


def main():
    module = AnsibleModule(argument_spec=dict(
        path=dict(type="path", required=True),
        version=dict(type="str", required=True),
        sha256=dict(type="str", default=""),
        sepm_version=dict(type="str", default=""),
    ), supports_check_mode=True)
    try:
        package = inspect_package(module.params["path"], module.params["version"], module.params["sha256"],
                                  module.params["sepm_version"])
    except (ValueError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, package=package)


if __name__ == "__main__":
    main()
