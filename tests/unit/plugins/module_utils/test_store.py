# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run's file: a run comes back from it as it was, its computers written as columns, readable by its owner only."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout import store
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import BatchEntry, HostResult, PlannedBatch, Run
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.planning import COMPUTER_KEYS
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

OPTIONS = {"failure_budget": 1, "max_fail_percentage": 100, "target_version": "14.3.1.9100", "windows": []}
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 40, 2 ** 40), st.text(max_size=12),
                   st.lists(st.text(max_size=5), max_size=2))


def computer(name, group="My Company\\Workstations"):
    record = dict.fromkeys(COMPUTER_KEYS)
    record.update(id=name.upper() * 4, hardware_key=name * 4, name=name, group=group, agent_version="14.3.1.9000",
                  online=True, reboot_required=False)
    return dict(record, cluster=None, method="liveupdate", inventory_host=name, home=group)


def a_run(names):
    results = {name: HostResult(batch="1", version_before="14.3.1.9000", version_after="14.3.1.9000") for name in names}
    return Run(dict(OPTIONS), "14.3.1.9000", "2026-11-28T23:00:00+00:00", {name: computer(name) for name in names}, {},
               [PlannedBatch("1", "liveupdate", list(names))], results)


def test_a_run_comes_back_from_its_file_as_it_was(tmp_path):
    run = a_run(["ws-1", "ws-2", "ws-3"])
    run.settle("ws-1", "patched", batch="1")
    run.mark(["ws-1", "ws-2"], "staged", "2026-11-28T23:01:00+00:00")
    run.computers["ws-2"]["group"] = "My Company\\Workstations\\Patch Staging"
    # The health checks a host failed are a list in its result: rows of lists pack like any other value.
    run.results["ws-1"].health = ["real_time_protection", "firewall"]
    run.log_batch(BatchEntry(batch="1", method="liveupdate", hosts=["ws-1", "ws-2", "ws-3"], started="2026-11-28T23:01:00+00:00"))
    path = store.create(run, str(tmp_path))
    again = store.load(path)
    assert again.to_dict() == run.to_dict()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Each field's name is written once, not once per computer.
    written = json.loads((tmp_path / ".runs" / os.path.basename(path)).read_text())["run"]
    assert written["computers"]["fields"] == list(computer("x"))
    assert written["computers"]["rows"]["ws-3"] == list(computer("ws-3").values())
    assert again.results["ws-1"].health == ["real_time_protection", "firewall"] and again.results["ws-2"].health == []
    assert isinstance(written["results"]["rows"]["ws-1"], list)


def test_step_times_a_batch_shares_are_written_once_and_each_host_gets_its_own_back(tmp_path):
    names = ["ws-%d" % number for number in range(1, 7)]
    run = a_run(names)
    run.mark(names[:4], "staged", "2026-11-28T23:01:00+00:00")
    run.mark(names[:4], "policy_applied", "2026-11-28T23:03:00+00:00")
    run.mark(names[4:5], "staged", "2026-11-28T23:09:00+00:00")
    path = store.create(run, str(tmp_path))
    written = json.loads((tmp_path / ".runs" / os.path.basename(path)).read_text())["run"]
    # Three distinct sets: the four marked together, the one marked alone, and the one not started ({}).
    assert sorted(written["step_times"], key=len) == [{}, {"staged": "2026-11-28T23:09:00+00:00"},
                                                      {"staged": "2026-11-28T23:01:00+00:00",
                                                       "policy_applied": "2026-11-28T23:03:00+00:00"}]
    again = store.load(path)
    assert again.to_dict() == run.to_dict()
    # A later mark of one host is its own: the hosts marked with it before keep their times.
    again.mark(["ws-1"], "delivered", "2026-11-28T23:20:00+00:00")
    assert "delivered" in again.results["ws-1"].steps and "delivered" not in again.results["ws-2"].steps


@settings(max_examples=150, deadline=None)
@given(rows=st.dictionaries(st.text(min_size=1, max_size=8),
                            st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), VALUES, max_size=4), max_size=6))
def test_columns_give_back_every_row_whatever_its_fields(rows):
    assert store.unpack(json.loads(json.dumps(store.pack(rows)))) == rows


def test_columns_give_back_every_row_without_a_trip_through_json():
    rows = {"ws-1": {"a": 1, "b": [2]}, "ws-2": {"a": None, "b": []}, "ws-3": {"c": 3}}
    assert store.unpack(store.pack(rows)) == rows


def test_results_written_with_an_older_field_set_load_by_name(tmp_path):
    """A run planned before an upgrade that added a result field: its hosts come back with the new field's default."""
    run = a_run(["ws-1", "ws-2"])
    run.settle("ws-1", "patched", "done", batch="1")
    run.mark(["ws-1"], "staged", "2026-11-28T23:01:00+00:00")
    path = store.create(run, str(tmp_path))
    written_at = tmp_path / ".runs" / os.path.basename(path)
    written = json.loads(written_at.read_text())
    results = written["run"]["results"]
    dropped = results["fields"].index("health")
    results["fields"].pop(dropped)
    for row in results["rows"].values():
        row.pop(dropped)
    written_at.write_text(json.dumps(written))
    again = store.load(path)
    assert again.results["ws-1"].state == "patched" and again.results["ws-1"].health == []
    assert again.results["ws-1"].steps == {"staged": "2026-11-28T23:01:00+00:00"} and again.results["ws-2"].steps == {}


def test_a_result_kept_as_a_mapping_loads_by_name(tmp_path):
    run = a_run(["ws-1", "ws-2"])
    run.mark(["ws-2"], "staged", "2026-11-28T23:01:00+00:00")
    path = store.create(run, str(tmp_path))
    written_at = tmp_path / ".runs" / os.path.basename(path)
    written = json.loads(written_at.read_text())
    results = written["run"]["results"]
    results["rows"]["ws-2"] = dict(zip(results["fields"], results["rows"]["ws-2"]))
    written_at.write_text(json.dumps(written))
    again = store.load(path)
    assert again.to_dict() == run.to_dict()


def test_a_file_of_another_format_or_none_fails_in_one_line(tmp_path):
    foreign = tmp_path / "run.json"
    foreign.write_text(json.dumps({"format": 1, "run": {}}))
    with pytest.raises(SepmInputError, match="not a run file of this collection's version: plan the run again"):
        store.load(str(foreign))
    with pytest.raises(SepmInputError, match="is gone"):
        store.load(str(tmp_path / "missing.json"))


def test_a_newer_record_keeps_the_run_lean():
    run = a_run(["ws-1"])
    kept = dict(run.computers["ws-1"])
    record = dict(kept, agent_version="14.3.1.9100", home="elsewhere", deployment_message="done", ip_addresses=["10.0.0.1"],
                  name="WS-1")
    run.update_computer("ws-1", record)
    assert run.computers["ws-1"] == dict(kept, agent_version="14.3.1.9100")
