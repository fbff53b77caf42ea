# -*- coding: utf-8 -*-
"""The Event-Driven Ansible source endpoint_ops.sepm.patch_notices against the emulator, in this process.

The source runs as ansible-rulebook runs it: its file is executed by path from the installed
collection and its ``main`` awaited with a queue. A test waits for the emulator to have answered a number of polls
(counted by the emulator), then reads what the source put on the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import time

import pytest

from tests.integration.ansible_runner import collections_root
from tests.integration.conftest import SepmApi

PATCH = "14.3.10148.9200"
NEXT_PATCH = "14.3.10148.9300"
POLL_TIMEOUT_S = 60


@pytest.fixture(name="source_main", scope="module")
def source_main_fixture():
    path = collections_root() / "ansible_collections" / "endpoint_ops" / "sepm" / "extensions" / "eda" / "plugins" \
        / "event_source" / "patch_notices.py"
    # Not runpy.run_path as ansible-rulebook does: a collection loader an earlier test installed claims the path.
    spec = importlib.util.spec_from_file_location("patch_notices_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(name="args")
def args_fixture(clean_emulator, tmp_path):
    return {"sepm_host": clean_emulator.host, "sepm_port": clean_emulator.port, "sepm_username": clean_emulator.username,
            "sepm_password": clean_emulator.password, "ca_path": str(clean_emulator.ca_path), "interval": 1,
            "state_file": str(tmp_path / "state" / "notices.json")}


def polls(emulator):
    return emulator.requests_count()["by_endpoint"].get("GET events/critical", 0)


def run_source(source_main, emulator, args, replies, between=None):
    """Run the source until it has handled ``replies`` replies to its requests; its events, in order.

    ``between`` (a function) runs after the first reply was handled, as a SEPM change while the source runs;
    the second request may be answered before or after it, so only the third reply is sure to show it.
    """
    async def go():
        queue = asyncio.Queue()
        start = await asyncio.to_thread(polls, emulator)
        task = asyncio.create_task(source_main(queue, args))
        deadline = time.monotonic() + POLL_TIMEOUT_S
        # The (n+1)-th request shows the n-th reply was handled: the source sends one at a time.
        for target in range(1, replies + 1):
            while await asyncio.to_thread(polls, emulator) < start + target + 1:
                if task.done():
                    task.result()
                    raise AssertionError("the source ended without an error")
                assert time.monotonic() < deadline, "the source did not poll"
                await asyncio.sleep(0.05)
            if target == 1 and between is not None:
                await asyncio.to_thread(between)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        events = []
        while not queue.empty():
            events.append(queue.get_nowait())
        return events

    return asyncio.run(go())


def download(emulator, version):
    """What the SEPM does after LiveUpdate brought a client patch: the package notice."""
    return emulator.control("POST", "console/download_patch", {"version": version})["event_id"]


def test_a_new_package_notice_is_one_event_and_never_again_across_restarts(source_main, clean_emulator, args):
    # First start: the notices of the seeded packages are recorded, not emitted; then a patch arrives.
    events = run_source(source_main, clean_emulator, args, 3, between=lambda: download(clean_emulator, PATCH))
    assert len(events) == 1, events
    package = events[0]["package"]
    assert (package["version"], package["platform"], package["is_patch"], package["release"]) == (
        PATCH, "windows", True, "14.3 RU9")
    assert events[0]["notice"]["subject"] == "New software package available"
    assert events[0]["notice"]["eventId"] == package["event_id"]
    assert events[0]["sepm"] == {"host": clean_emulator.host, "port": clean_emulator.port}
    assert clean_emulator.password not in json.dumps(events)

    # A restart with the same state file: nothing again.
    assert run_source(source_main, clean_emulator, args, 2) == []

    # The next patch: one event, for it alone.
    second = download(clean_emulator, NEXT_PATCH)
    events = run_source(source_main, clean_emulator, args, 2)
    assert [(e["package"]["version"], e["notice"]["eventId"]) for e in events] == [(NEXT_PATCH, second)]
    with open(args["state_file"], encoding="utf-8") as handle:
        state = json.load(handle)
    assert second in state["seen"] and state["sepm"] == "%s:%s" % (clean_emulator.host, clean_emulator.port)
    assert clean_emulator.password not in json.dumps(state)


def test_first_start_with_emit_existing_emits_the_listed_packages_oldest_first(source_main, clean_emulator, args):
    events = run_source(source_main, clean_emulator, dict(args, emit_existing=True), 1)
    products = [event["package"]["product"] for event in events]
    assert products == ["Symantec Agent for Linux 14.3 RU9", "Symantec Endpoint Protection 14.3 RU9",
                        "Symantec Endpoint Protection 14.3 RU9 client patch 14.3.10148.9100"]


def test_a_notice_acknowledged_before_the_poll_still_counts(source_main, clean_emulator, args):
    run_source(source_main, clean_emulator, args, 1)
    api = SepmApi(clean_emulator)
    api.login()
    api.ok("POST", "events/acknowledge/%s" % download(clean_emulator, PATCH))
    assert [e["package"]["version"] for e in run_source(source_main, clean_emulator, args, 1)] == [PATCH]
    # Asking for unacknowledged notices only, the next acknowledged one goes unseen.
    api.ok("POST", "events/acknowledge/%s" % download(clean_emulator, NEXT_PATCH))
    assert run_source(source_main, clean_emulator, dict(args, include_acknowledged=False), 1) == []


def test_a_failing_sepm_is_logged_once_and_polled_again(source_main, clean_emulator, args, caplog):
    run_source(source_main, clean_emulator, args, 1)
    download(clean_emulator, PATCH)
    # Every attempt of two polls (three each) answers 503, then the SEPM recovers.
    clean_emulator.add_fault(kind="http_status", status=503, path="^events/critical", count=6)
    with caplog.at_level(logging.WARNING, logger="endpoint_ops.sepm.patch_notices"):
        events = run_source(source_main, clean_emulator, args, 7)
    assert [e["package"]["version"] for e in events] == [PATCH]
    lines = [record.getMessage() for record in caplog.records]
    assert len([line for line in lines if "failed, trying again every 1s" in line and "HTTP 503" in line]) == 1, lines
    assert any("works again" in line for line in lines), lines
    assert clean_emulator.password not in caplog.text


@pytest.mark.parametrize("change, words", [
    ({"sepm_password": "wrong-password"}, "rejected the login of 'admin'"),
    ({"ca_path": None}, "is not trusted"),
])
def test_bad_credentials_or_an_untrusted_certificate_stop_the_source_in_one_line(
        source_main, clean_emulator, args, monkeypatch, change, words):
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SEPM_CA_PATH"):
        monkeypatch.delenv(variable, raising=False)
    from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmError  # pylint: disable=import-outside-toplevel
    with pytest.raises(SepmError) as raised:
        asyncio.run(asyncio.wait_for(source_main(asyncio.Queue(), dict(args, **change)), POLL_TIMEOUT_S))
    assert words in str(raised.value) and "\n" not in str(raised.value)
    assert "wrong-password" not in str(raised.value)


def test_the_connection_comes_from_the_sepm_variables(source_main, clean_emulator, args, monkeypatch):
    for option, variable in (("sepm_host", "SEPM_HOST"), ("sepm_port", "SEPM_PORT"), ("sepm_username", "SEPM_USERNAME"),
                             ("sepm_password", "SEPM_PASSWORD"), ("ca_path", "SEPM_CA_PATH")):
        monkeypatch.setenv(variable, str(args.pop(option)))
    events = run_source(source_main, clean_emulator, args, 3, between=lambda: download(clean_emulator, PATCH))
    assert [e["package"]["version"] for e in events] == [PATCH]
