# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The request head measure against the bytes requests really sends, and the split rule's properties."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import (
    RequestTooLarge,
    head_bytes,
    query_length,
    split_to_fit,
)
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import serve_connections

GUIDS = st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32)
# What a header value may hold: requests refuses line breaks and leading blanks, http.client wants latin-1.
HEADER_VALUES = st.text(alphabet=[chr(code) for code in list(range(0x21, 0x7F)) + list(range(0xA1, 0x100))],
                        min_size=1, max_size=60)
QUERY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
TOKENS = st.text(alphabet="ABCDEFabcdef0123456789-._~+/=", min_size=1, max_size=120)
QUERY_VALUES = st.one_of(QUERY_TEXT, GUIDS, st.integers(), st.booleans(), st.none())


class HeadRecorder:
    """A local HTTP server that records how many bytes each request head had on the wire, then answers 200."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.heads = []
        self.thread = threading.Thread(target=serve_connections, args=(self.listener, self._answer), daemon=True)
        self.thread.start()

    def _answer(self, connection, received):
        head, _blank, body = received.partition(b"\r\n\r\n")
        self.heads.append(head + b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self):
        self.listener.close()


@pytest.fixture(name="recorder", scope="module")
def recorder_fixture():
    recorder = HeadRecorder()
    yield recorder
    recorder.close()


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]),
    host=st.sampled_from(["127.0.0.1", "localhost", "LocalHost"]),
    path=st.lists(st.text(alphabet="abcdefABC0123456789-_.~%/{}é ", min_size=1, max_size=12), min_size=1, max_size=4),
    query=st.dictionaries(st.sampled_from(["computer_ids", "group_ids", "os", "computerName", "pageSize"]),
                          st.one_of(QUERY_TEXT, st.lists(QUERY_TEXT, max_size=5), st.integers()), max_size=4),
    token=TOKENS,
    extra=st.dictionaries(st.sampled_from(["X-Request", "Accept-Language", "Cookie"]), HEADER_VALUES, max_size=2),
    body=st.one_of(st.none(), st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3)),
)
def test_head_bytes_is_what_requests_puts_on_the_wire(recorder, method, host, path, query, token, extra, body):
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
    url = "http://%s:%d/sepm/api/v1/%s" % (host, recorder.port, "/".join(path))
    headers = dict(extra, Authorization="Bearer %s" % token)
    data = None if body is None else requests.compat.json.dumps(body)
    prepared = session.prepare_request(requests.Request(method, url, params=query, data=data, headers=headers))
    measured = head_bytes(prepared.method, prepared.url, prepared.headers)
    before = len(recorder.heads)
    session.send(prepared, timeout=10)
    session.close()
    assert len(recorder.heads) == before + 1
    assert measured == len(recorder.heads[-1])


def test_the_host_header_leaves_out_the_schemes_own_port():
    assert head_bytes("GET", "https://sepm01:443/x", {}) == len(b"GET /x HTTP/1.1\r\nHost: sepm01\r\n\r\n")
    assert head_bytes("GET", "https://sepm01:8446/x", {}) == len(b"GET /x HTTP/1.1\r\nHost: sepm01:8446\r\n\r\n")
    assert head_bytes("GET", "https://[::1]:8446/", {}) == len(b"GET / HTTP/1.1\r\nHost: [::1]:8446\r\n\r\n")
    assert head_bytes("GET", "https://sepm01.example.com.:8446/x?a=1", {"A": "b"}) == len(
        b"GET /x?a=1 HTTP/1.1\r\nHost: sepm01.example.com:8446\r\nA: b\r\n\r\n")


# -- the length of a query, counted from its parts ----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(
    st.one_of(st.sampled_from(["computer_ids", "group_ids", "os", "computerName", "pageSize", "pageIndex"]), QUERY_TEXT),
    st.one_of(QUERY_VALUES, st.lists(QUERY_VALUES, max_size=6), st.builds(",".join, st.lists(GUIDS, max_size=300))),
    max_size=5))
def test_query_length_is_the_length_of_the_query_requests_puts_in_the_url(params):
    prepared = requests.Session().prepare_request(requests.Request(
        "GET", "https://sepm01.example.com:8446/sepm/api/v1/groups/%7B0A%7D/computers", params=params))
    assert query_length(params) == len(urlsplit(prepared.url).query)


@pytest.mark.parametrize("params", [
    "computer_ids=A", b"computer_ids=A", [("os", "Windows")], {"os": [["Windows"]]}, {"os": {"Windows": 1}},
    {"os": b"Windows"}, {"pageSize": 1.5}, {1: "one"},
])
def test_query_length_leaves_other_shapes_to_a_full_measure(params):
    assert query_length(params) is None


# -- the split rule, measured with requests' own encoder --------------------------------------------


def command_head(session, token):
    """head_of(chunk) for POST command-queue/restart with computer_ids=chunk, as requests would send it."""
    def head_of(chunk):
        prepared = session.prepare_request(requests.Request(
            "POST", "https://sepm01.example.com:8446/sepm/api/v1/command-queue/restart",
            params={"computer_ids": ",".join(chunk)}, data='{"prompt_type": "no_prompt", "schedule_type": "now"}',
            headers={"Authorization": "Bearer %s" % token}))
        return head_bytes(prepared.method, prepared.url, prepared.headers)
    return head_of


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(GUIDS, max_size=900), limit=st.integers(1500, 12000), token=TOKENS)
def test_every_chunk_fits_and_their_union_is_the_input_in_order(ids, limit, token):
    head_of = command_head(requests.Session(), token)
    chunks = split_to_fit(ids, head_of, limit)
    assert [item for chunk in chunks for item in chunk] == ids
    assert all(chunks) and all(head_of(chunk) <= limit for chunk in chunks)
    # Nothing is split more than it must be: the next item would not have fitted.
    for chunk, following in zip(chunks, chunks[1:]):
        assert head_of(chunk + following[:1]) > limit


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(GUIDS, unique=True, max_size=900), limit=st.integers(1500, 12000))
def test_no_item_is_in_two_chunks(ids, limit):
    chunks = split_to_fit(ids, command_head(requests.Session(), "tok"), limit)
    flat = [item for chunk in chunks for item in chunk]
    assert len(flat) == len(set(flat)) == len(ids)


@settings(max_examples=80, deadline=None)
@given(costs=st.lists(st.integers(1, 50), max_size=300), base=st.integers(0, 100), limit=st.integers(1, 400))
def test_split_with_any_growing_measure(costs, base, limit):
    def head_of(chunk):
        return base + sum(costs[index] for index in chunk)

    items = list(range(len(costs)))
    if any(base + cost > limit for cost in costs):
        with pytest.raises(RequestTooLarge) as info:
            split_to_fit(items, head_of, limit)
        first = next(index for index, cost in enumerate(costs) if base + cost > limit)
        assert info.value.item == first and info.value.head_bytes == base + costs[first]
        return
    chunks = split_to_fit(items, head_of, limit)
    assert [item for chunk in chunks for item in chunk] == items
    assert all(head_of(chunk) <= limit for chunk in chunks)
    for chunk, following in zip(chunks, chunks[1:]):
        assert head_of(chunk + following[:1]) > limit


def test_an_empty_list_makes_no_chunk():
    assert split_to_fit([], lambda chunk: 10 ** 9, 10) == []
