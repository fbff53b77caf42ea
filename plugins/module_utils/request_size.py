# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How many bytes a request's head takes on the wire, and how a list in a URL is split so every request fits. Pure Python.

The SEPM runs on Apache Tomcat, whose HTTP connector refuses a request whose request line
plus headers (every CRLF and the blank line that ends them included) exceed
``maxHttpHeaderSize``, 8,192 bytes by default, with HTTP 400 "Request header is too large".
The vendor reference puts a command's targets (``computer_ids``, ``group_ids``,
``hardware_ids``) in the query string, so a command for many computers takes several
requests. The client hands in what its HTTP library prepared (method, URL, headers), so
no HTTP library is imported here; a split, which measures many candidate queries of one
request, counts each query's length from its parts instead (``query_length``).
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit

DEFAULT_MAX_REQUEST_BYTES = 8192
DEFAULT_PORTS = {"http": 80, "https": 443}
CRLF_BYTES = 2
# The bytes urllib.parse.quote_plus (which requests' query encoding calls) leaves as they are; a space becomes "+"
# and every other byte of the UTF-8 text "%XX".
UNESCAPED_QUERY_BYTES = (string.ascii_letters + string.digits + "_.-~").encode("ascii")
# What one query value may be for query_length: requests writes a number as str() does.
PLAIN_VALUES = (str, int)


class RequestTooLarge(Exception):
    """Even one item alone makes a request over the limit: ``item`` and the ``head_bytes`` it needs."""

    def __init__(self, item, head_bytes, limit):
        super().__init__("a request with %r alone has %d bytes of request line and headers, over %d" % (
            item, head_bytes, limit))
        self.item = item
        self.head_bytes = head_bytes
        self.limit = limit


def _text_bytes(value):
    return len(value) if isinstance(value, bytes) else len(str(value).encode("latin-1", "replace"))


def _host_header(url):
    """The Host header Python's http.client writes: the host (bracketed if IPv6) and the port unless it is the scheme's."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = "[%s]" % host
    port = parts.port
    if port is None or port == DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return "%s:%d" % (host, port)


def header_line_bytes(name, value):
    """``Name: value`` and its CRLF."""
    return _text_bytes(name) + len(": ") + _text_bytes(value) + CRLF_BYTES


def head_bytes(method, url, headers):
    """Bytes of the request line, every header line and the blank line, as they go on the wire.

    ``url`` is the full URL with its encoded query and ``headers`` every header the HTTP
    library sends; the Host header is added as Python's http.client adds it.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    size = _text_bytes("%s %s HTTP/1.1" % (method, target)) + CRLF_BYTES
    if not any(str(name).lower() == "host" for name in headers):
        size += header_line_bytes("Host", _host_header(url))
    for name, value in headers.items():
        size += header_line_bytes(name, value)
    return size + CRLF_BYTES


def quoted_length(text):
    """``len(quote_plus(text))``, counted in C (``bytes.translate``) instead of quoting byte by byte.

    A query of 200 computer ids is 6.6 KB: quoting it costs about 0.2 ms, counting it a few microseconds.
    """
    raw = text.encode("utf-8")
    return len(raw) + 2 * len(raw.translate(None, UNESCAPED_QUERY_BYTES + b" "))


def query_length(params):
    """Length of the query string requests encodes ``params`` into, or None for a shape this does not count.

    ``params`` maps names to a text, a number or a list of them, as the client's callers build
    them. requests writes one ``name=value`` pair per value (a list repeats its name), leaves a
    None value out, quotes names and values with ``quote_plus`` and joins the pairs with ``&``;
    it leaves that text as it is when it builds the URL, so the URL's query has exactly this
    length (tests/unit/plugins/module_utils/test_request_size.py compares the two). Anything else
    (bytes, nested lists, a string of pairs) is None: the caller prepares that request to measure it.
    """
    if not isinstance(params, dict):
        return None
    length = pairs = 0
    for name, values in params.items():
        if not isinstance(name, str):
            return None
        if isinstance(values, (list, tuple)):
            if not all(value is None or isinstance(value, PLAIN_VALUES) for value in values):
                return None
        elif values is None or isinstance(values, PLAIN_VALUES):
            values = (values,)
        else:
            return None
        name_length = quoted_length(name)
        for value in values:
            if value is not None:
                length += name_length + len("=") + quoted_length(str(value))
                pairs += 1
    return length + len("&") * max(0, pairs - 1)


def _largest_count_that_fits(fits, remaining, guess):
    """The largest ``n`` in ``1..remaining`` with ``fits(n)``, 0 if none; ``fits`` is true up to some ``n`` and false after.

    Starts at ``guess`` (the size of the chunk before, which is usually right), so a chunk
    typically costs two measurements; otherwise it gallops, then bisects.
    """
    fitting, too_many = 0, remaining + 1
    probe = min(max(guess, 1), remaining)
    if fits(probe):
        fitting, step = probe, 1
        while fitting < remaining:
            probe = min(fitting + step, remaining)
            if not fits(probe):
                too_many = probe
                break
            fitting, step = probe, step * 2
        else:
            return fitting
    else:
        too_many = probe
    while too_many - fitting > 1:
        middle = (fitting + too_many) // 2
        if fits(middle):
            fitting = middle
        else:
            too_many = middle
    return fitting


def _first_guess(items, head_of, limit):
    """How many items the first chunk may take, from the heads of one and of two items: a guess the split then checks.

    A head grows by about the same bytes per item (ids have one length), so two small measurements put the
    first chunk's size within an item or two, and ``_largest_count_that_fits`` confirms it in a few more;
    starting from the whole list would measure (and URL-encode) thousands of items several times over.
    """
    if len(items) < 3:
        return len(items)
    one, two = head_of(items[:1]), head_of(items[:2])
    if one > limit or two <= one:
        return 1
    return max(1, min(len(items), 1 + (limit - one) // (two - one)))


def split_to_fit(items, head_of, limit):
    """``items`` in consecutive chunks, order kept and each item once, each chunk as long as the limit allows.

    ``head_of(chunk)`` is the head bytes of the request that would carry ``chunk``; it must
    not shrink when the chunk grows. Every chunk is worked out before the caller sends
    anything, so an item that does not fit even alone raises ``RequestTooLarge`` before the
    first request.
    """
    items = list(items)
    chunks = []
    start = 0
    guess = _first_guess(items, head_of, limit)
    while start < len(items):
        count = _largest_count_that_fits(lambda n: head_of(items[start:start + n]) <= limit, len(items) - start, guess)
        if count == 0:
            raise RequestTooLarge(items[start], head_of(items[start:start + 1]), limit)
        chunks.append(items[start:start + count])
        start += count
        guess = count
    return chunks
