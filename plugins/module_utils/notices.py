# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which "New software package available" notices are new, and the state that remembers it. Pure Python.

The Event-Driven Ansible source ``endpoint_ops.sepm.patch_notices`` polls ``events/critical``
and emits one event per notice it has not emitted before. Its state file holds the ids of
the package notices it has seen, so a restart emits none of them again. On the first start
(no state file) the notices the SEPM lists already are recorded without events, unless
``emit_existing`` asks for them: a new source must not start a rollout for every package
the SEPM downloaded in the past.
"""

from __future__ import annotations

import json
import os
import re
import tempfile

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import (
    CONNECTION_ENV,
    convert,
    resolve_connection,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import check_range
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.patches import package_from_event

SOURCE = "endpoint_ops.sepm.patch_notices"
SOURCE_OPTIONS = {
    "interval": {"type": "int", "default": 300},
    "state_file": {"type": "path", "default": None},
    "emit_existing": {"type": "bool", "default": False},
    "include_acknowledged": {"type": "bool", "default": True},
}
# Polling more often than every second only loads the SEPM; less often than daily misses the point.
INTERVAL_MIN, INTERVAL_MAX = 1, 86400
# What ansible-rulebook itself adds to a source's arguments.
RULEBOOK_ARGS = frozenset(("eda_feedback_queue",))
STATE_VERSION = 1
# Package notices arrive a few times a month: this many is decades of them. Beyond it the
# oldest ids are dropped, and a notice no newer than the newest dropped one counts as seen.
MAX_SEEN = 2000
_SEP_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,9}))?$")


def source_options(args, environ):
    """The source's options, connection included, checked; every mistake fails in one line."""
    args = {name: value for name, value in (args or {}).items() if name not in RULEBOOK_ARGS}
    unknown = sorted(set(args) - set(SOURCE_OPTIONS) - set(CONNECTION_ENV))
    if unknown:
        raise SepmInputError("%s: unknown option %s; it takes %s" % (
            SOURCE, ", ".join(unknown), ", ".join(sorted(set(SOURCE_OPTIONS) | set(CONNECTION_ENV)))))
    options = resolve_connection(args, environ)
    for name, spec in SOURCE_OPTIONS.items():
        value = args.get(name)
        options[name] = spec["default"] if value is None else convert(name, value, spec["type"])
    check_range("interval", options["interval"], INTERVAL_MIN, INTERVAL_MAX, "seconds")
    if not options["state_file"]:
        options["state_file"] = default_state_file(options["sepm_host"], options["sepm_port"], environ)
    return options


def sepm_name(options):
    """The SEPM a state belongs to: ``host:port``, the host in lower case."""
    return "%s:%s" % (str(options["sepm_host"]).strip().lower(), options["sepm_port"])


def default_state_file(host, port, environ):
    """``$XDG_STATE_HOME/endpoint_ops.sepm/patch_notices-<host>-<port>.json`` (``~/.local/state`` by default).

    One file per SEPM, so two sources watching two SEPMs never share one.
    """
    base = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    safe_host = re.sub(r"[^A-Za-z0-9._-]", "_", str(host).strip().lower())
    return os.path.join(base, "endpoint_ops.sepm", "patch_notices-%s-%s.json" % (safe_host, port))


def arrival_key(notice):
    """A notice's ``eventDateTime`` (``2024-06-26 14:03:03.0``) in a form that sorts in time order; "" if unreadable."""
    found = _SEP_TIME.match(str(notice.get("eventDateTime") or "").strip())
    if not found:
        return ""
    return "%s.%s" % (found.group(1), (found.group(2) or "").ljust(9, "0"))


def new_notices(reply, state, sepm, emit_existing=False):
    """``(notices, state)``: the package notices to emit, oldest first, and the state after them.

    ``notices`` are ``(package, notice)`` pairs (``package_from_event``'s fields and the raw
    notice). ``state`` is None on the first start: then every listed package notice is
    recorded, and emitted only with ``emit_existing``.
    """
    first_start = state is None
    seen = dict(state["seen"]) if state else {}
    horizon = state.get("horizon") if state else None
    fresh = []
    for notice in (reply or {}).get("criticalEventsInfoList") or []:
        package = package_from_event(notice)
        event_id = notice.get("eventId")
        if package is None or not event_id or event_id in seen:
            continue
        arrived = arrival_key(notice)
        seen[event_id] = arrived
        if horizon and arrived and arrived <= horizon:
            continue
        if emit_existing or not first_start:
            fresh.append((package, notice))
    fresh.sort(key=lambda pair: arrival_key(pair[1]))
    if len(seen) > MAX_SEEN:
        kept = sorted(seen.items(), key=lambda item: item[1])
        dropped, kept = kept[:len(kept) - MAX_SEEN], kept[len(kept) - MAX_SEEN:]
        horizon = max([horizon or ""] + [arrived for _id, arrived in dropped]) or None
        seen = dict(kept)
    return fresh, {"version": STATE_VERSION, "sepm": sepm, "seen": seen, "horizon": horizon}


def event_of(package, notice, options):
    """The event a rulebook sees: the package's fields, the notice as the SEPM sent it, which SEPM."""
    return {
        "package": dict(package),
        "notice": dict(notice),
        "sepm": {"host": options["sepm_host"], "port": options["sepm_port"]},
    }


READ_ADVICE = "remove it to start afresh (the notices the SEPM lists then are recorded without events)"
WRITE_ADVICE = "give the user running the source space and write permission there"


def _state_error(path, reason, advice=READ_ADVICE):
    return SepmInputError("state_file %s %s; %s, or set state_file to another path" % (path, reason, advice))


def read_state(path, sepm):
    """The state in ``path``, or None when there is none yet (the first start)."""
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _state_error(path, "cannot be read (%s)" % (exc.strerror or exc)) from None
    except ValueError:
        raise _state_error(path, "is not JSON") from None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or not isinstance(state.get("seen"), dict):
        raise _state_error(path, "is not a state file of %s" % SOURCE)
    if state.get("sepm") != sepm:
        raise _state_error(path, "holds the notices of the SEPM %s, not of %s" % (state.get("sepm"), sepm))
    return state


def check_state_file(path):
    """Make the state file's folder (private to the user) and fail now if it cannot be written there."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise _state_error(path, "cannot be made: its folder cannot be created (%s)" % (exc.strerror or exc),
                           WRITE_ADVICE) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _state_error(path, "cannot be written: no write permission on %s" % folder, WRITE_ADVICE)


def write_state(path, state):
    """Replace the state file in one step: a crash leaves the old state or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(state, stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        _remove(temporary)
        raise _state_error(path, "cannot be written (%s)" % (exc.strerror or exc), WRITE_ADVICE) from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path):
    if path and os.path.exists(path):
        os.unlink(path)
