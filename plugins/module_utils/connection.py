# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SEPM connection options, their ``SEPM_*`` variables and checks, defined once. Pure Python.

Explicit arguments win over the ``SEPM_*`` environment variables, which win over the
defaults. Modules take these options through ``args.py`` (Ansible's argument spec); the
inventory plugin through its own option machinery; the Event-Driven Ansible source,
which runs where ansible-core may not be installed, through ``resolve_connection``.
``plugins/doc_fragments/connection.py`` documents them.
"""

from __future__ import annotations

import os

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmClient
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_range
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import DEFAULT_MAX_REQUEST_BYTES

# A reply slower than an hour is no reply; a longer timeout only hides an outage (and
# the socket layer overflows on absurd values such as 1e13).
TIMEOUT_MAX = 3600
# Below 1 KiB even a login's request line and headers could not fit; above 1 MiB is no Tomcat setting anyone runs.
MAX_REQUEST_BYTES_RANGE = (1024, 1024 * 1024)
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
UNVERIFIED_WARNING = (
    "validate_certs is false: the SEPM's certificate is not checked, so anyone between this controller and "
    "the SEPM can read the password and the token; set ca_path to the CA that signed the SEPM certificate instead"
)

# option name -> environment variable that fills it when the task does not
CONNECTION_ENV = {
    "sepm_host": "SEPM_HOST",
    "sepm_port": "SEPM_PORT",
    "sepm_username": "SEPM_USERNAME",
    "sepm_password": "SEPM_PASSWORD",
    "sepm_domain": "SEPM_DOMAIN",
    "sepm_token": "SEPM_TOKEN",
    "validate_certs": "SEPM_VALIDATE_CERTS",
    "ca_path": "SEPM_CA_PATH",
    "timeout": "SEPM_TIMEOUT",
    "max_request_bytes": "SEPM_MAX_REQUEST_BYTES",
}

# In Ansible's argument spec terms; args.py adds the environment fallbacks.
CONNECTION_OPTIONS = {
    "sepm_host": {"type": "str", "required": True},
    "sepm_port": {"type": "int", "default": 8446},
    "sepm_username": {"type": "str"},
    "sepm_password": {"type": "str", "no_log": True},
    "sepm_domain": {"type": "str", "default": ""},
    "sepm_token": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "int", "default": 30},
    "max_request_bytes": {"type": "int", "default": DEFAULT_MAX_REQUEST_BYTES},
}

# The words Ansible's bool type takes, so SEPM_VALIDATE_CERTS means the same everywhere.
_TRUE = frozenset(("yes", "on", "1", "true", "y", "t"))
_FALSE = frozenset(("no", "off", "0", "false", "n", "f"))


def client_kwargs(params):
    """SepmClient keyword arguments from validated module (or plugin) options."""
    return {
        "host": params.get("sepm_host"),
        "port": params.get("sepm_port"),
        "username": params.get("sepm_username"),
        "password": params.get("sepm_password"),
        "domain": params.get("sepm_domain"),
        "token": params.get("sepm_token"),
        "validate_certs": params.get("validate_certs", True),
        "ca_path": params.get("ca_path"),
        "timeout": params.get("timeout"),
        "max_request_bytes": params.get("max_request_bytes"),
    }


def client_for(params, **client_options):
    """A SepmClient for checked connection options; the same checks for every plugin kind."""
    check_connection(params)
    return SepmClient(**dict(client_kwargs(params), **client_options))


def check_connection(params):
    """The connection options a module or plugin got, checked before any SEPM call.

    A port of 0 or a timeout of 0 is an error, not a default: the user wrote it on
    purpose, and a silent replacement hides the typo. A ``ca_path`` must be a readable
    PEM bundle (or a directory of them), so TLS does not fail later with the SSL
    library's own words.
    """
    check_range("sepm_port", params.get("sepm_port"), 1, 65535)
    check_range("timeout", params.get("timeout"), 1, TIMEOUT_MAX, "seconds")
    check_range("max_request_bytes", params.get("max_request_bytes"), *MAX_REQUEST_BYTES_RANGE, unit="bytes")
    host = params.get("sepm_host")
    if host is not None and (not str(host).strip() or any(ch.isspace() or ch in "/?#@" for ch in str(host).strip())):
        raise SepmInputError("sepm_host must be a host name or IP address such as sepm01.example.com, got %r" % host)
    ca_path = params.get("ca_path")
    if ca_path and params.get("validate_certs", True):
        check_ca_path(ca_path)


def check_ca_path(ca_path):
    if os.path.isdir(ca_path):
        return
    if not os.path.exists(ca_path):
        raise SepmInputError("ca_path: no file at %s; give the PEM file of the CA that signed the SEPM certificate" % ca_path)
    try:
        with open(ca_path, "rb") as handle:
            head = handle.read(1024 * 1024)
    except OSError as exc:
        raise SepmInputError("ca_path: cannot read %s (%s)" % (ca_path, exc.strerror or exc)) from None
    if PEM_CERTIFICATE not in head:
        raise SepmInputError("ca_path: %s is not a PEM CA bundle (no '-----BEGIN CERTIFICATE-----' line); "
                             "export the SEPM's CA certificate in PEM (Base-64) format" % ca_path)


def convert(name, value, kind, origin=None):
    """``value`` as the option's type (``str``, ``int``, ``bool``, ``path``); a wrong one fails in one line."""
    where = " (from %s)" % origin if origin else ""
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
            raise SepmInputError("%s must be a whole number%s, got %r" % (name, where, value))
        return int(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise SepmInputError("%s must be true or false%s, got %r" % (name, where, value))
    if not isinstance(value, str):
        raise SepmInputError("%s must be a string%s, got %r" % (name, where, value))
    return os.path.expanduser(value) if kind == "path" else value


def resolve_connection(args, environ):
    """The connection options from ``args`` (a plugin's own), else ``environ``'s ``SEPM_*``, else the defaults.

    For a plugin without Ansible's option machinery. An empty environment variable counts as
    unset, as Ansible's ``env_fallback`` would not make an empty host or CA path.
    """
    options = {}
    for name, spec in CONNECTION_OPTIONS.items():
        value, origin = args.get(name), None
        if value is None and environ.get(CONNECTION_ENV[name]):
            value, origin = environ[CONNECTION_ENV[name]], CONNECTION_ENV[name]
        if value is None:
            if spec.get("required"):
                raise SepmInputError("%s is required: set it in the source's arguments or %s" % (name, CONNECTION_ENV[name]))
            options[name] = spec.get("default")
            continue
        options[name] = convert(name, value, spec["type"], origin)
    return options
