# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of every module; plugins/module_utils/args.py defines them.
    DOCUMENTATION = r'''
options:
  sepm_host:
    description:
      - Host name or IP address of the SEP Manager.
      - If not set, the value of the E(SEPM_HOST) environment variable is used.
    type: str
    required: true
  sepm_port:
    description:
      - HTTPS port of the SEPM REST API, from 1 to 65535 (0 is an error, not the default).
      - If not set, the value of the E(SEPM_PORT) environment variable is used.
    type: int
    default: 8446
  sepm_username:
    description:
      - SEPM administrator to log in as. Most calls need a system administrator.
      - If not set, the value of the E(SEPM_USERNAME) environment variable is used.
      - Not needed when O(sepm_token) is given.
    type: str
  sepm_password:
    description:
      - Password of O(sepm_username). Never logged or returned.
      - If not set, the value of the E(SEPM_PASSWORD) environment variable is used.
    type: str
  sepm_domain:
    description:
      - SEPM domain to log in to; empty means the default domain.
      - If not set, the value of the E(SEPM_DOMAIN) environment variable is used.
    type: str
    default: ''
  sepm_token:
    description:
      - A session token from M(endpoint_ops.sepm.login), so a play logs in once.
      - When the SEPM refuses it and O(sepm_password) is set, the module logs in again.
      - If not set, the value of the E(SEPM_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the SEPM's TLS certificate. Turn off only for a lab SEPM; the module warns when it is off.
      - If not set, the value of the E(SEPM_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the SEPM certificate (the SEPM's own is self-signed).
      - The task fails before any SEPM call when the file does not exist or holds no PEM certificate.
      - If not set, the value of the E(SEPM_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP reply, from 1 to 3600 (0 is an error, not the default).
        Retries of busy or unreachable servers add to this.
      - If not set, the value of the E(SEPM_TIMEOUT) environment variable is used.
    type: int
    default: 30
  max_request_bytes:
    description:
      - The most bytes of request line plus headers a request to the SEPM may have, from 1024 to 1048576.
      - The SEPM's web server (Apache Tomcat) refuses more than its C(maxHttpHeaderSize), 8192 bytes unless its
        C(server.xml) sets another value, with HTTP 400. Lists that go into a URL (the computers and groups of a
        command) are split into as many requests as it takes, so no request is ever refused; a request that cannot
        fit even with one item fails before anything is sent.
      - Raise it only to what that SEPM allows.
      - If not set, the value of the E(SEPM_MAX_REQUEST_BYTES) environment variable is used.
    type: int
    default: 8192
requirements:
  - requests >= 2.28 on the controller
notes:
  - The module talks to the SEPM REST API from the controller; run it on C(localhost) or delegate it there.
  - Supports the C(endpoint_ops.sepm.sepm) action group, so a play can set these options once with C(module_defaults).
'''
