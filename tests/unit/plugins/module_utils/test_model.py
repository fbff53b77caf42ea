# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run model: accounting after stops, one result per target, and a run that survives its file."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import BatchEntry, HostResult, PlannedBatch, Run

PROPERTY = settings(database=None, max_examples=300, deadline=None)
OPTIONS = {"failure_budget": 1, "max_fail_percentage": 100, "target_version": "14.3.1.9100", "windows": []}


def run_of(batches, versions=None):
    names = [name for batch in batches for name in batch]
    results = {name: HostResult(batch=str(index), version_before=(versions or {}).get(name),
                                version_after=(versions or {}).get(name))
               for index, batch in enumerate(batches, 1) for name in batch}
    return Run(dict(OPTIONS), "14.3.1.9000", "2026-11-28T23:00:00+00:00", {name: {"name": name} for name in names}, {},
               [PlannedBatch(str(index), "liveupdate", list(batch)) for index, batch in enumerate(batches, 1)], results)


@PROPERTY
@given(batches=st.lists(st.lists(st.sampled_from(rules.FINAL_STATES + (None,)), min_size=1, max_size=6), max_size=6),
       budget=st.integers(0, 4), stop_state=st.sampled_from(["skipped", "deferred"]))
def test_every_target_ends_in_exactly_one_final_state(batches, budget, stop_state):
    """Whatever the batches did, after a stop the rest are settled once and nothing is counted twice."""
    names = [["h%d-%d" % (index, number) for number in range(len(states))] for index, states in enumerate(batches)]
    run = run_of(names)
    run.options["failure_budget"] = budget
    for index, states in enumerate(batches):
        label = str(index + 1)
        if run.stop is not None:
            run.settle_stopped(names[index], run.stop, label)
            continue
        for name, state in zip(names[index], states):
            if state is not None:
                run.settle(name, state, "", label)
        run.settle_stopped([n for n, s in zip(names[index], states) if s is None], rules.Stop("held", stop_state), label)
        run.decide_stop(names[index], False)
    everyone = sum(len(states) for states in batches)
    totals = run.totals()
    assert totals["total"] == everyone
    assert sum(totals[state] for state in rules.FINAL_STATES) == everyone
    assert all(result.state in rules.FINAL_STATES for result in run.results.values())


def test_settling_a_stop_keeps_what_is_already_settled():
    run = run_of([["a"], ["b"]], versions={"b": "14.3.1.9000"})
    run.settle("a", "patched", "", "1")
    settled = run.settle_stopped(["a", "b"], rules.Stop(rules.WINDOW_CLOSED, "deferred"), "3")
    assert settled == ["b"]
    assert run.results["a"].state == "patched"
    expected = {"state": "deferred", "reason": rules.WINDOW_CLOSED, "batch": "3", "method": "liveupdate",
                "version_before": "14.3.1.9000", "version_after": "14.3.1.9000", "steps": {}}
    assert {key: value for key, value in run.results["b"].to_dict().items() if key in expected} == expected


def test_a_run_comes_back_from_its_file_as_it_was():
    run = run_of([["a", "b"], ["c"]])
    run.settle("a", "failed", "did not come back", "1")
    run.mark(["a"], "restart_sent", "2026-11-28T23:10:00+00:00")
    run.log_batch(BatchEntry(batch="1", method="liveupdate", hosts=["a", "b"], started="2026-11-28T23:01:00+00:00",
                             finished="2026-11-28T23:30:00+00:00"))
    run.decide_stop(["a", "b"], False)
    again = Run.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again.to_dict() == run.to_dict()
    assert again.results["a"].steps == {"restart_sent": "2026-11-28T23:10:00+00:00"}
    assert again.log[0].ran and again.log[0].failed == 1
    assert again.labels == ["1", "2"] and again.next_label("1") == "2" and again.next_label("2") is None


def test_a_batch_that_never_ran_says_why_and_has_no_start():
    entry = BatchEntry(batch="4", method="package", hosts=["x"], not_run=rules.BUDGET_EXCEEDED)
    data = entry.to_dict()
    assert data["ran"] is False and data["started"] is None and data["not_run"] == rules.BUDGET_EXCEEDED


def test_an_unknown_batch_is_named_in_one_line():
    run = run_of([["a"]])
    try:
        run.batch("7")
    except ValueError as error:
        assert str(error) == "batch '7' is not a batch of this rollout (1)"
    else:
        raise AssertionError("an unknown batch was accepted")
