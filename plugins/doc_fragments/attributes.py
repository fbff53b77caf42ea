# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Modules that change the SEPM: full check and diff mode.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the SEPM.
    support: full
  diff_mode:
    description: Returns what changed (or would change in check mode) as before and after, with C(--diff).
    support: full
  action_group:
    description: Use C(group/endpoint_ops.sepm.sepm) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - endpoint_ops.sepm.sepm
'''

    # Modules that only read.
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to diff.
    support: N/A
  action_group:
    description: Use C(group/endpoint_ops.sepm.sepm) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - endpoint_ops.sepm.sepm
'''
