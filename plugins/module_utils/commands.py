# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SEPM commands: state names, per-computer rows, and waiting until every computer is done."""

from __future__ import annotations

import time

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

STATES = {0: "INITIAL", 1: "RECEIVED", 2: "IN_PROGRESS", 3: "COMPLETED", 4: "REJECTED", 5: "CANCELLED", 6: "ERROR"}
FINAL_STATES = frozenset((3, 4, 5, 6))
# From the vendor's "state and substate values" article; the SEPM's own subStateDesc wins when it sends one.
SUB_STATES = {
    0: "Success",
    5: "Restart command not allowed",
    100: "Success",
    120: "LiveUpdate download in progress",
    121: "LiveUpdate download failed",
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def command_row(row):
    """One computer's row of a command status page, with its state by name."""
    state_id = _int(row.get("stateId"))
    sub_state_id = _int(row.get("subStateId"))
    return {
        "computer_id": row.get("computerId"),
        "computer": row.get("computerName"),
        "hardware_key": row.get("hardwareKey"),
        "state_id": state_id,
        "state": STATES.get(state_id, "UNKNOWN"),
        "sub_state_id": sub_state_id,
        "sub_state": row.get("subStateDesc") or SUB_STATES.get(sub_state_id, ""),
        "final": state_id in FINAL_STATES,
        "begin_time": row.get("beginTime"),
        "last_update_time": row.get("lastUpdateTime"),
    }


def command_id_list(command_ids):
    """One id or a list of them (a command sent in several requests) as a list."""
    return [command_ids] if isinstance(command_ids, str) else list(command_ids or ())


def read_command(client, command_ids):
    """The rows of a command, all of its ids taken as one (one paged read per id)."""
    return [command_row(row) for command_id in command_id_list(command_ids) for row in client.command_status(command_id)]


def read_named_command(client, command_ids, option="command_id"):
    """The rows of a command a user named; an id the SEPM does not know is an error naming the option and the id."""
    rows = []
    for command_id in command_id_list(command_ids):
        try:
            rows.extend(read_command(client, command_id))
        except SepmNotFoundError:
            raise SepmInputError("%s: the SEPM has no command %s (an id from endpoint_ops.sepm.command's command_ids, "
                                 "or the console's Command Status)" % (option, command_id)) from None
    return rows


def summarize_rows(rows):
    by_state = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    return {"total": len(rows), "by_state": by_state, "done": bool(rows) and all(row["final"] for row in rows)}


def wait_for_command(client, command_ids, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """Poll a command until every computer of all its ids is final or ``timeout`` passes.

    Each poll reads the ids not done yet, one paged read each: an id whose computers are all
    final stays so. Returns ``(rows, timed_out, polls)``.
    """
    deadline = clock() + timeout
    rows_by_id = {command_id: None for command_id in command_id_list(command_ids)}
    polls = 0
    while True:
        for command_id, rows in rows_by_id.items():
            if rows is None or not summarize_rows(rows)["done"]:
                rows_by_id[command_id] = read_command(client, command_id)
        polls += 1
        rows = [row for id_rows in rows_by_id.values() for row in id_rows]
        if all(summarize_rows(id_rows)["done"] for id_rows in rows_by_id.values()):
            return rows, False, polls
        remaining = deadline - clock()
        if remaining <= 0:
            return rows, True, polls
        sleep(min(poll_interval, remaining))


def cancel_command(client, command_ids):
    """Cancel every id of a command that still has a computer not final; returns the ids cancelled."""
    cancelled = []
    for command_id in command_id_list(command_ids):
        if not summarize_rows(read_command(client, command_id))["done"]:
            client.cancel_command(command_id)
            cancelled.append(command_id)
    return cancelled
