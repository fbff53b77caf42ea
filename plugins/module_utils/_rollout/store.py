# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where a run lives between its tasks, and the drain journal: JSON files on the controller.

A run's tasks (plan, each batch, each package step, the report) are separate processes, and the
run grows with the fleet: so it stays in one file under the report folder (``<report_dir>/.runs/``),
written atomically and readable by its owner only, and the tasks pass a small handle that names it.
Every task reads and writes the whole file, so its size is what a task pays per computer: the
computers and their results are written as columns (each field's name once, then a list of values
per computer, and each distinct set of step times once), about 470 bytes a computer at 20,000,
read and written by the C JSON coder. The report task removes it. Nothing in it is secret (no
token, no password), and nothing a later run needs is kept there: the SEPM holds what a resume
needs, so an AWX job's pod stays stateless between jobs.

The drain journal (``drain-journal.json`` in the report folder, which an AWX job keeps on a
persistent volume) is the exception on purpose: a package run writes a member into it before the
member's drain hook runs and takes it out after its restore hook ran, so the next run knows what
an interrupted one left drained.
"""

from __future__ import annotations

import json
import operator
import os
import secrets
import tempfile

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.model import HostResult, Run
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

RUNS_FOLDER = ".runs"
JOURNAL_NAME = "drain-journal.json"
FORMAT = 2


def state_folder(report_dir):
    """The folder of the run files: under the report folder, or a private one in the temporary folder without one."""
    return os.path.abspath(os.path.join(report_dir, RUNS_FOLDER) if report_dir else
                           os.path.join(tempfile.gettempdir(), "endpoint_ops.sepm-runs"))


def journal_path(report_dir):
    return os.path.join(os.path.abspath(report_dir), JOURNAL_NAME) if report_dir else \
        os.path.join(state_folder(""), JOURNAL_NAME)


def write_private(path, data):
    """Write JSON atomically (a whole file or the old one, never half), readable by its owner only."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    temporary = "%s.%s.tmp" % (path, secrets.token_hex(4))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            # dumps, not dump: json.dump writes through the pure-Python encoder, about three times slower.
            handle.write(json.dumps(data, separators=(",", ":")))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def create(run, report_dir):
    """Keep a newly planned run; returns the path of its file."""
    stamp = run.started[:19].replace("-", "").replace(":", "")
    path = os.path.join(state_folder(report_dir), "run-%sZ-%s.json" % (stamp, secrets.token_hex(4)))
    save(path, run)
    return path


def pack(rows):
    """``{name: {field: value}}`` as columns: ``{"fields": [...], "rows": {name: [value, ...]}}``.

    The fields are the first row's; a row with other fields (none should have them) stays a mapping, so nothing is lost.
    """
    fields = list(next(iter(rows.values()), ()))
    width = len(fields)
    # itemgetter picks a row's values in C: at 50,000 computers a comprehension per row costs a tenth of a second a task.
    values_of = operator.itemgetter(*fields) if width > 1 else (lambda row: tuple(row[key] for key in fields))
    packed = {}
    for name, row in rows.items():
        if len(row) == width:
            try:
                packed[name] = values_of(row)
                continue
            except KeyError:
                pass
        packed[name] = row
    return {"fields": fields, "rows": packed}


def unpack(packed):
    fields = packed["fields"]
    return {name: dict(zip(fields, row)) if isinstance(row, (list, tuple)) else row for name, row in packed["rows"].items()}


def pack_results(results):
    """The host results as columns, straight from the objects, and their step times as numbers into one table:
    ``(packed, table)``.

    A batch's computers are marked together, so 20,000 results have a few dozen distinct step times between
    them; writing each once keeps about a third of the file (and its coding time) out of every task.
    """
    fields = HostResult.field_names()
    values_of = operator.attrgetter(*fields)
    at = fields.index("steps")
    table, positions, packed = [], {}, {}
    for name, result in results.items():
        row = list(values_of(result))
        key = tuple(row[at].items())
        position = positions.get(key)
        if position is None:
            position = positions[key] = len(table)
            table.append(row[at])
        row[at] = position
        packed[name] = row
    return {"fields": list(fields), "rows": packed}, table


def unpack_results(packed, table):
    """``pack_results`` undone; each result gets its own copy of its step times (they are marked one by one later)."""
    fields = tuple(packed["fields"])
    positional = fields == HostResult.field_names()
    at = fields.index("steps") if positional else None
    results = {}
    for name, row in packed["rows"].items():
        if positional and isinstance(row, list):
            row[at] = dict(table[row[at]])
            results[name] = HostResult(*row)
            continue
        # A file of an older field set (a run planned before an upgrade), or a row kept as a mapping: by name.
        row = dict(zip(fields, row)) if isinstance(row, list) else row
        if isinstance(row.get("steps"), int):
            row["steps"] = dict(table[row["steps"]])
        results[name] = HostResult.from_dict(row)
    return results


def save(path, run):
    data = run.to_dict(results=False)
    data["results"], data["step_times"] = pack_results(run.results)
    data["computers"] = pack(data["computers"])
    write_private(path, {"format": FORMAT, "run": data})


def load(path):
    """The run a handle names; a missing or foreign file fails in one line."""
    if not isinstance(path, str) or not path:
        raise SepmInputError("run: give the run handle endpoint_ops.sepm.rollout_plan returned (its run)")
    try:
        data = read_json(path)
    except FileNotFoundError:
        raise SepmInputError("the run file %s is gone (the run was reported, or its folder removed): plan the run again" % path)
    except (OSError, ValueError) as exc:
        raise SepmInputError("the run file %s cannot be read (%s): plan the run again" % (path, exc))
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("run"), dict):
        raise SepmInputError("%s is not a run file of this collection's version: plan the run again" % path)
    run = data["run"]
    run["computers"] = unpack(run["computers"])
    run["results"] = unpack_results(run["results"], run.pop("step_times", None) or [])
    return Run.from_dict(run)


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Journal:
    """The members a package run drained and has not restored yet (see the module docstring)."""

    def __init__(self, path):
        self.path = path

    def entries(self):
        if not self.path or not os.path.exists(self.path):
            return []
        try:
            data = read_json(self.path)
        except (OSError, ValueError) as exc:
            raise SepmInputError("the drain journal %s cannot be read (%s): restore the members it names by hand, then remove "
                                 "it" % (self.path, exc))
        return list(data.get("drained") or []) if isinstance(data, dict) else []

    def add(self, entry):
        entries = [known for known in self.entries() if known.get("name") != entry["name"]]
        self._write(entries + [entry])

    def mark_failed(self, name, reason):
        """The member failed while drained (it may be down): it stays in the journal, and its partners wait for it."""
        entries = self.entries()
        for entry in entries:
            if entry.get("name") == name:
                entry["failed"] = reason
                self._write(entries)
                return

    def remove(self, name):
        entries = self.entries()
        kept = [known for known in entries if known.get("name") != name]
        if len(kept) != len(entries):
            self._write(kept)

    def _write(self, entries):
        write_private(self.path, {"drained": entries})
