# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout engine's parts, private to the collection (the leading underscore: not collection API).

``model``      the run: its hosts' results, its batches' log entries, its stop (typed, ``to_dict`` / ``from_dict``)
``options``    the run's options, checked and normalised once when the run is planned
``planning``   reading the SEPM and planning a run
``store``      the run's file on the controller: tasks pass a handle, not the run
``staging``    staging groups: created, their policies kept equal to their parent's, restarts off, moves home
``driver``     what both delivery methods share: gate, holds, budget, progress lines, preview, the poll loop
``liveupdate`` the liveupdate method's steps (stage, policy, deliver, restart, verify, return), pipelined
``package``    the package method's decisions around each host's install, and the drain journal
``forecasting`` the forecast of what is left of a run
``report``     the plan's lines, the report's timeline and its JSON

Modules and other plugins import what they need from ``plugins/module_utils/rollout.py``.
"""
