# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection options every module and the inventory plugin take, defined once.

Explicit arguments win over the ``SEPM_*`` environment variables, which win over the
defaults. ``plugins/doc_fragments/connection.py`` documents the same options.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

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
}

_CONNECTION_OPTIONS = {
    "sepm_host": {"type": "str", "required": True},
    "sepm_port": {"type": "int", "default": 8446},
    "sepm_username": {"type": "str"},
    "sepm_password": {"type": "str", "no_log": True},
    "sepm_domain": {"type": "str", "default": ""},
    "sepm_token": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "int", "default": 30},
}


def connection_argument_spec():
    """A fresh copy of the connection options with their environment fallbacks."""
    spec = {}
    for name, option in _CONNECTION_OPTIONS.items():
        option = dict(option)
        option["fallback"] = (env_fallback, [CONNECTION_ENV[name]])
        spec[name] = option
    return spec


def argument_spec(**module_options):
    """The connection options merged with a module's own; a module option may not shadow one."""
    spec = connection_argument_spec()
    clash = set(spec) & set(module_options)
    if clash:
        raise ValueError("module options shadow connection options: %s" % ", ".join(sorted(clash)))
    spec.update(module_options)
    return spec


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
    }
