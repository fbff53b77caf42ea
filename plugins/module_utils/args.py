# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection options as Ansible's argument spec, with their ``SEPM_*`` fallbacks.

The options themselves, their variables and checks are in ``connection.py`` (pure Python,
shared with the plugins that have no argument spec); ``plugins/doc_fragments/connection.py``
documents them.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import CONNECTION_ENV, CONNECTION_OPTIONS


def connection_argument_spec():
    """A fresh copy of the connection options with their environment fallbacks."""
    spec = {}
    for name, option in CONNECTION_OPTIONS.items():
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
