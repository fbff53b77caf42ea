# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report's file: any report reads back as it was written, and without its hosts when the forecast asks."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import report_file

NAMES = st.text(max_size=10)  # any text: quotes, backslashes, newlines, "hosts" itself
VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
                      lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
                      max_leaves=8)
REPORTS = st.fixed_dictionaries(
    {"run": st.dictionaries(NAMES, VALUES, max_size=3), "batches": st.lists(st.dictionaries(NAMES, VALUES, max_size=3), max_size=4),
     "hosts": st.dictionaries(NAMES, st.dictionaries(NAMES, VALUES, max_size=3), max_size=6)},
    optional={"totals": st.dictionaries(NAMES, st.integers(), max_size=3), "forecast": VALUES})


@settings(max_examples=200, deadline=None)
@given(report=REPORTS, chunk=st.sampled_from([1, 7, 64, report_file.CHUNK]))
def test_a_report_reads_back_whole_and_without_its_hosts(tmp_path_factory, report, chunk):
    path = tmp_path_factory.mktemp("reports") / "rollout-20261201T000000Z.json"
    path.write_text(report_file.report_text(report), encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert report_file.read_report(str(path)) == report
    original = report_file.CHUNK
    report_file.CHUNK = chunk
    try:
        assert report_file.read_report(str(path), hosts=False) == {key: value for key, value in report.items() if key != "hosts"}
    finally:
        report_file.CHUNK = original


def test_each_host_and_each_batch_is_a_line_and_the_hosts_come_last():
    text = report_file.report_text({"hosts": {"WS-1": {"state": "patched"}, "WS-2": {"state": "failed"}},
                                    "run": {"started": "x"}, "batches": [{"batch": "1"}, {"batch": "2"}]})
    assert text.splitlines() == ['{', '"run": {"started":"x"},', '"batches": [', ' {"batch":"1"},', ' {"batch":"2"}', '],',
                                 '"hosts": {', ' "WS-1": {"state":"patched"},', ' "WS-2": {"state":"failed"}', '}', '}']


def test_a_report_written_otherwise_is_read_whole(tmp_path):
    report = {"run": {}, "hosts": {"WS-1": {}}, "batches": [{"batch": "1"}]}
    path = tmp_path / "rollout-20261201T000000Z.json"
    path.write_text(json.dumps(report, indent=1))
    assert report_file.read_report(str(path), hosts=False) == report
