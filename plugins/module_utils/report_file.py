# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout report's JSON file: how it is laid out, so a reader that needs no host stops before the hosts. Pure Python.

The report is one JSON object. It is written with each top-level part on a line of its own and
``hosts`` last; inside ``hosts`` and ``batches`` each entry takes one line (a person can read and
grep it; a 20,000-computer report is 20,000 lines, not 200,000). The forecast reads the reports of
the last 20 runs for their batches' durations: ``read_report(path, hosts=False)`` reads a file up
to the line that opens ``hosts`` and parses only that, so planning beside earlier runs of 50,000
computers costs their batches, not their hosts. Any other JSON object (a report written by hand or
by an earlier version) is read whole.
"""

from __future__ import annotations

import json

HOSTS_LINE = '\n"hosts": '
LISTED_PARTS = ("batches", "hosts")
CHUNK = 1 << 20


def _compact(value):
    return json.dumps(value, separators=(",", ":"))


def _part(name, value):
    if name in LISTED_PARTS and isinstance(value, dict) and value:
        inner = ",\n".join(" %s: %s" % (json.dumps(key), _compact(item)) for key, item in value.items())
        return "{\n%s\n}" % inner
    if name in LISTED_PARTS and isinstance(value, list) and value:
        return "[\n%s\n]" % ",\n".join(" " + _compact(item) for item in value)
    return _compact(value)


def report_text(report):
    """The report as JSON text: a line per part, an entry per line in ``batches`` and ``hosts``, ``hosts`` last."""
    names = [name for name in report if name != "hosts"] + (["hosts"] if "hosts" in report else [])
    return "{\n%s\n}\n" % ",\n".join("%s: %s" % (json.dumps(name), _part(name, report[name])) for name in names)


def _head(handle):
    """(the text before the line that opens ``hosts``, None), or (None, the whole text) when no line opens it."""
    chunks = []
    tail = ""
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            return None, "".join(chunks)
        # The line may straddle two chunks: look in the end of the text read so far and the new chunk.
        window = tail + chunk
        found = window.find(HOSTS_LINE)
        if found >= 0:
            before = "".join(chunks)
            return before[:len(before) - len(tail)] + window[:found], None
        chunks.append(chunk)
        tail = window[-(len(HOSTS_LINE) - 1):]


def read_report(path, hosts=True):
    """A JSON report as a dict (or whatever JSON the file holds); without ``hosts`` when ``hosts`` is false and the layout allows.

    Raises OSError and ValueError as ``json.load`` does.
    """
    with open(path, encoding="utf-8") as handle:
        if hosts:
            return json.load(handle)
        head, whole = _head(handle)
    if head is not None:
        try:
            report = json.loads(head.rstrip().rstrip(",") + "}")
        except ValueError:
            report = None
        if isinstance(report, dict):
            return report
        with open(path, encoding="utf-8") as handle:
            whole = handle.read()
    return json.loads(whole)
