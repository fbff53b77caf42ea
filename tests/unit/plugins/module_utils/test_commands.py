# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A command sent in several requests is read, waited for and cancelled as one."""

from __future__ import annotations

import pytest

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmNotFoundError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.commands import (
    cancel_command,
    read_command,
    read_named_command,
    summarize_rows,
    wait_for_command,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import FakeClock

FIRST, SECOND = "A" * 32, "B" * 32


def status_row(name, state_id):
    return {"computerId": name.upper(), "computerName": name, "stateId": state_id, "subStateId": 0}


class CommandQueue:
    """The SEPM's command queue as the client shows it: rows per command id, cancels, and every read."""

    def __init__(self, rows_by_id):
        self.rows_by_id = rows_by_id
        self.reads = []
        self.cancelled = []

    def command_status(self, command_id):
        self.reads.append(command_id)
        if command_id not in self.rows_by_id:
            raise SepmNotFoundError("GET command-queue/%s failed with HTTP 410" % command_id, status=410)
        return iter(self.rows_by_id[command_id])

    def cancel_command(self, command_id):
        self.cancelled.append(command_id)
        self.rows_by_id[command_id] = [dict(row, stateId=5) if row["stateId"] < 3 else row
                                       for row in self.rows_by_id[command_id]]

    def finish(self, command_id):
        self.rows_by_id[command_id] = [dict(row, stateId=3) for row in self.rows_by_id[command_id]]


def test_the_rows_of_every_id_are_one_commands_rows():
    queue = CommandQueue({FIRST: [status_row("WS-1", 3), status_row("WS-2", 2)], SECOND: [status_row("WS-3", 3)]})
    rows = read_command(queue, [FIRST, SECOND])
    assert [row["computer"] for row in rows] == ["WS-1", "WS-2", "WS-3"]
    assert summarize_rows(rows) == {"total": 3, "by_state": {"COMPLETED": 2, "IN_PROGRESS": 1}, "done": False}
    assert queue.reads == [FIRST, SECOND]
    assert [row["computer"] for row in read_command(queue, FIRST)] == ["WS-1", "WS-2"]


def test_an_unknown_id_among_several_is_named():
    queue = CommandQueue({FIRST: [status_row("WS-1", 3)]})
    with pytest.raises(SepmInputError, match="command_id: the SEPM has no command %s" % SECOND):
        read_named_command(queue, [FIRST, SECOND])


def test_waiting_reads_only_the_ids_not_done_and_ends_when_all_are():
    queue = CommandQueue({FIRST: [status_row("WS-1", 3)], SECOND: [status_row("WS-2", 1)]})
    clock = FakeClock()

    def sleep(seconds):
        clock.sleep(seconds)
        queue.finish(SECOND)

    rows, timed_out, polls = wait_for_command(queue, [FIRST, SECOND], 600, 10, sleep=sleep, clock=clock)
    assert not timed_out and polls == 2
    assert summarize_rows(rows) == {"total": 2, "by_state": {"COMPLETED": 2}, "done": True}
    assert queue.reads == [FIRST, SECOND, SECOND]


def test_waiting_times_out_with_the_rows_of_all_ids():
    queue = CommandQueue({FIRST: [status_row("WS-1", 3)], SECOND: [status_row("WS-2", 1)]})
    clock = FakeClock()
    rows, timed_out, polls = wait_for_command(queue, [FIRST, SECOND], 25, 10, sleep=clock.sleep, clock=clock)
    assert timed_out and polls == 4 and len(rows) == 2


def test_cancelling_cancels_each_id_that_has_a_computer_not_final():
    queue = CommandQueue({FIRST: [status_row("WS-1", 3)], SECOND: [status_row("WS-2", 1), status_row("WS-3", 3)]})
    assert cancel_command(queue, [FIRST, SECOND]) == [SECOND]
    assert queue.cancelled == [SECOND]
    assert summarize_rows(read_command(queue, [FIRST, SECOND]))["by_state"] == {"COMPLETED": 2, "CANCELLED": 1}
    assert cancel_command(queue, [FIRST, SECOND]) == []
