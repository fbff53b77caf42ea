# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A fake SEPM transport for the client's unit tests: scripted replies, a fake clock, no network.

``FakeSession`` is a ``requests.Session`` whose ``send()`` records each prepared request and
answers it with the next scripted item (a ``FakeResponse``, or an exception instance that is
raised); everything else is requests' own, so the client prepares its requests with
requests' real encoder, default headers and environment handling, and reads each reply as
it reads a real one. ``FakeClock`` is both the client's ``clock`` and its ``sleep``: sleeping only
moves the clock forward and records how long the client would have waited.
"""

from __future__ import annotations

import io
import json

from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import head_bytes

API_PREFIX = "/sepm/api/v1/"


class FakeResponse(requests.Response):
    """A ``requests.Response`` with a scripted status, headers and UTF-8 body, not yet read (as ``send(stream=True)`` leaves one)."""

    def __init__(self, status_code=200, body=None, headers=None, text=None, reason=None):
        super().__init__()
        self.status_code = status_code
        self.headers = CaseInsensitiveDict(headers or {})
        if text is None:
            text = "" if body is None else json.dumps(body)
        self.raw = io.BytesIO(text.encode("utf-8"))
        self.encoding = "utf-8"
        self.reason = reason if reason is not None else "HTTP %d" % status_code


class Call:
    """One request the client sent, as the SEPM would see it, and the settings it was sent with."""

    def __init__(self, prepared, settings):
        # Bytes of request line plus headers as requests sends this call.
        self.head_bytes = head_bytes(prepared.method, prepared.url, prepared.headers)
        self.method = prepared.method
        parts = urlsplit(prepared.url)
        self.url = parts._replace(query="").geturl()  # the query is in ``query`` and ``params``
        self.path = parts.path[len(API_PREFIX):] if parts.path.startswith(API_PREFIX) else parts.path
        # The query as the SEPM reads it: a name given once maps to its text, a repeated one to the list of them.
        self.query = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            self.query.setdefault(name, []).append(value)
        self.params = {name: values[0] if len(values) == 1 else values for name, values in self.query.items()}
        self.body = json.loads(prepared.body) if prepared.body is not None else None
        self.headers = CaseInsensitiveDict(prepared.headers)
        self.timeout = settings.get("timeout")
        self.verify = settings.get("verify")
        self.proxies = settings.get("proxies")

    @property
    def authorization(self):
        return self.headers.get("Authorization")

    def __repr__(self):
        return "Call(%s %s %r)" % (self.method, self.path, self.params)


class FakeClock:
    """A monotonic clock that moves only when the client sleeps (or a test advances it)."""

    def __init__(self, start=1000.0):
        self.now = float(start)
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds):
        self.now += seconds

    @property
    def waited(self):
        return sum(self.sleeps)


class FakeSession(requests.Session):
    """Answers each request with the next scripted item and records every call."""

    def __init__(self, *script):
        super().__init__()
        self.verify = None
        self.script = list(script)
        self.calls = []

    def add(self, *items):
        self.script.extend(items)

    def send(self, request, **kwargs):
        self.calls.append(Call(request, kwargs))
        if not self.script:
            raise AssertionError("unexpected request %s %s: nothing scripted" % (request.method, request.url))
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def paths(self):
        return ["%s %s" % (call.method, call.path) for call in self.calls]

    def calls_to(self, path):
        return [call for call in self.calls if call.path == path]

    @property
    def logins(self):
        return self.calls_to("identity/authenticate")


def ok(body=None, status=200, headers=None):
    return FakeResponse(status, body=body, headers=headers)


def auth_ok(token="tok-0001-abcdef", expiration=3600):
    """The SEPM's reply to a good ``POST identity/authenticate``."""
    return FakeResponse(200, body={
        "token": token,
        "tokenExpiration": expiration,
        "refreshToken": "refresh-%s" % token,
        "adminId": "A1B2C3D4E5F60718293A4B5C6D7E8F90",
        "role": {"bitMask": 8, "title": "sysadmin"},
        "domainid": "6e70f043092e5bb93f74fd57c083f99e",
    })


def error(status, error_code=None, error_message=None, headers=None):
    """A reply in SEPM's error envelope (``errorCode`` is a string)."""
    return FakeResponse(status, body={
        "errorCode": str(status) if error_code is None else error_code,
        "appErrorCode": "",
        "errorMessage": error_message or "error %d" % status,
    }, headers=headers)


def page(content, number=0, last=True, total_pages=None, size=1000, **extra):
    """One page of a paged SEPM list (``number`` is 0-based, as the SEPM sends it); ``last=None`` omits lastPage."""
    body = {
        "content": list(content),
        "number": number,
        "size": size,
        "numberOfElements": len(content),
        "firstPage": number == 0,
        "sort": None,
    }
    if last is not None:
        body["lastPage"] = last
    if total_pages is not None:
        body["totalPages"] = total_pages
    body.update(extra)
    return FakeResponse(200, body=body)


def serve_connections(listener, answer):
    """A local test server's loop: ``answer(connection, received)`` for each connection, until ``listener`` closes."""
    while True:
        try:
            connection, _address = listener.accept()
        except OSError:
            return
        with connection:
            answer(connection, read_request_head(connection))


def read_request_head(connection):
    """What a local test server received up to the end of a request's headers (and any body bytes after them)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received
