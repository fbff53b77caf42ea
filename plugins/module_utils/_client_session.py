# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A session with one SEPM: token, retries, request sizes, replies and paging.

Private to the client: ``client.py``'s SepmClient is this session plus the SEPM concepts,
and callers import from there. No Ansible import.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import time

try:
    import requests
except ImportError:  # pragma: no cover - reported by the callers with missing_required_lib
    requests = None
    HAS_REQUESTS = False
else:
    HAS_REQUESTS = True

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._client_errors import (
    MAX_REQUEST_BYTES_HINT,
    SepmAuthError,
    SepmConnectionError,
    SepmError,
    connection_reason,
    cut,
    http_error,
    no_reply_to_write,
    scrub,
    tls_error,
    unreachable,
    unresolvable,
    unusable_ca_bundle,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import (
    DEFAULT_MAX_REQUEST_BYTES,
    RequestTooLarge,
    head_bytes,
    query_length,
    split_to_fit,
)

API_PATH = "/sepm/api/v1/"
DEFAULT_PORT = 8446
DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 30
RETRYABLE_STATUS = frozenset((429, 502, 503, 504))
# Statuses a server answers before it acts on a request, so even a command is safe to send again.
RETRYABLE_STATUS_NOT_PROCESSED = frozenset((429, 503))
# Logging in and logging out change nothing on the SEPM that a second attempt could double.
IDEMPOTENT_POSTS = frozenset(("identity/authenticate", "identity/logout"))
# Re-login this many seconds before the SEPM says the token expires, so a long call does not start with a dying token.
TOKEN_EXPIRY_MARGIN = 60


def _retry_after_seconds(value, now=None):
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt, base=0.5, cap=30.0, retry_after=None, rng=random.random):
    """How long to wait before retry number ``attempt`` (1-based).

    Full jitter over an exponential ceiling spreads many controllers apart; a server's
    ``Retry-After`` is a floor, with a little jitter on top so retries do not arrive together.
    """
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    delay = rng() * ceiling
    if retry_after is not None:
        delay = retry_after + rng() * min(1.0, base)
    return delay


class SepmSession:
    """A session with one SEPM: logs in on first use and reuses the token.

    ``token`` (from the ``login`` module) skips the login; with a password as well the
    client can log in again when the token is refused. Each call retries 429/502/503/504
    and connection errors with jittered backoff, within ``deadline`` seconds in all.
    """

    def __init__(self, host, port=DEFAULT_PORT, username=None, password=None, domain=None,
                 token=None, validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT,
                 max_request_bytes=DEFAULT_MAX_REQUEST_BYTES,
                 deadline=None, max_attempts=8, backoff_base=0.5, backoff_cap=30.0,
                 session=None, sleep=time.sleep, clock=time.monotonic):
        if not host:
            raise SepmError("no SEPM host given", hint="set sepm_host or the SEPM_HOST environment variable")
        self.host = host
        # None means the default; 0 is a mistake to report, not a default (SepmModule checks the range first).
        self.port = DEFAULT_PORT if port is None else int(port)
        self.username = username
        self.domain = domain or ""
        self.base_url = "https://%s:%d%s" % (host, self.port, API_PATH)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_request_bytes = DEFAULT_MAX_REQUEST_BYTES if max_request_bytes is None else int(max_request_bytes)
        self.deadline = deadline if deadline is not None else max(120.0, 4.0 * self.timeout)
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._password = password
        self._token = token
        self._token_expires_at = None
        self._sleep = sleep
        self._clock = clock
        self.request_count = 0
        self._retries = {}
        self._server_time = None
        self._own_session = False
        if session is None:
            if not HAS_REQUESTS:
                raise SepmError("the Python library 'requests' is not installed on the controller")
            session = requests.Session()
        self._verify = (ca_path or True) if validate_certs else False
        session.verify = self._verify
        session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        self._session = session
        self._send_settings = self._settings_from_environment()

    def _settings_from_environment(self):
        """The proxies and the CA bundle every request of this session is sent with, read from the environment once.

        While ``trust_env`` is on, requests reads the proxy variables, REQUESTS_CA_BUNDLE and
        CURL_CA_BUNDLE again for every request (about 0.1 ms of CPU each time), and ~/.netrc too,
        whose entry for the SEPM's host (or a ``default`` entry) replaces the Authorization header,
        our bearer token, with its own Basic login (psf/requests issue 3929): every call then fails
        with 401. So it is off, and what users rely on is taken here as requests takes it:
        HTTPS_PROXY, ALL_PROXY and NO_PROXY (either case; HTTP_PROXY is for http:// URLs, and the
        API is https) for the SEPM's URL, and a CA bundle variable only when verification uses the
        default bundle (no ca_path, validate_certs on): the user's ca_path wins, and validate_certs
        false stays false.
        """
        self._session.trust_env = False
        proxies = dict(self._session.proxies)
        proxies.update(requests.utils.get_environ_proxies(self.base_url))
        verify = self._verify
        if verify is True:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return {"proxies": proxies, "verify": verify}

    def __repr__(self):
        return "SepmClient(%r, user=%r)" % (self.base_url, self.username)

    @property
    def token(self):
        """The session token, for a caller (the login module) that hands it on."""
        return self._token

    # -- secrets ---------------------------------------------------------------------

    def _scrub(self, text):
        """Remove the password and token from text that may end up in a message."""
        return scrub(text, (self._password, self._token))

    # -- authentication --------------------------------------------------------------

    def login(self):
        """Log in with the username and password; returns the SEPM's UserToken reply."""
        if not self.username or not self._password:
            raise SepmAuthError(
                "no SEPM credentials to log in with",
                hint="set sepm_username and sepm_password (or SEPM_USERNAME and SEPM_PASSWORD), or pass sepm_token",
            )
        body = {"username": self.username, "password": self._password, "domain": self.domain}
        reply = self._send("POST", "identity/authenticate", json_body=body, authenticate=False)
        token = (reply or {}).get("token")
        if not token:
            raise SepmAuthError("the SEPM answered the login without a token", status=200)
        self._token = token
        self._own_session = True
        lifetime = reply.get("tokenExpiration")
        if isinstance(lifetime, (int, float)) and lifetime > 0:
            self._token_expires_at = self._clock() + max(0.0, float(lifetime) - TOKEN_EXPIRY_MARGIN)
        else:
            self._token_expires_at = None
        return reply

    def logout(self):
        if self._token:
            try:
                self._send("POST", "identity/logout")
            finally:
                self._token = None
                self._token_expires_at = None

    def keep_session(self):
        """Leave the session open at close(): its token was handed on (the login module)."""
        self._own_session = False

    def close(self):
        """Log out of a session this client opened itself; a token it was given stays valid for others."""
        if self._own_session:
            self._own_session = False
            try:
                self.logout()
            except SepmError:
                pass  # the token expires on its own; a failed logout must not fail the work that was done

    def _ensure_token(self):
        expired = self._token_expires_at is not None and self._clock() >= self._token_expires_at
        if not self._token or (expired and self._password):
            self.login()

    # -- transport -------------------------------------------------------------------

    def request(self, method, path, params=None, json_body=None, idempotent=None):
        """One SEPM call, authenticated, retried and turned into data or a SepmError."""
        return self._send(method, path, params=params, json_body=json_body, idempotent=idempotent)

    def _send(self, method, path, params=None, json_body=None, authenticate=True, idempotent=None):
        path = path.lstrip("/")
        if idempotent is None:
            idempotent = method != "POST" or path in IDEMPOTENT_POSTS
        if authenticate:
            self._ensure_token()
        relogged = False
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._transmit(method, path, params, json_body, authenticate)
            except SepmConnectionError as exc:
                if not exc.retryable or (exc.request_sent and not idempotent):
                    raise
                self._wait_or_give_up(attempt, started, exc, None)
                continue
            status = response.status_code
            self._note_server_time(response)
            if status == 401 and authenticate and not relogged and self._password:
                relogged = True
                self.login()
                continue
            if status in RETRYABLE_STATUS and (idempotent or status in RETRYABLE_STATUS_NOT_PROCESSED):
                error = self._error_from(response, method, path)
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                self._wait_or_give_up(attempt, started, error, retry_after)
                continue
            if status >= 400:
                raise self._error_from(response, method, path)
            return self._decode(response, method, path)

    def _headers(self, authenticate):
        return {"Authorization": "Bearer %s" % self._token} if authenticate and self._token else {}

    def _prepare(self, method, path, params=None, json_body=None, authenticate=True):
        """The request as it goes out now: its encoded query, the session's headers and cookies, the token, Content-Length."""
        data = json.dumps(json_body) if json_body is not None else None
        return self._session.prepare_request(requests.Request(
            method, self.base_url + path.lstrip("/"), params=params, data=data, headers=self._headers(authenticate)))

    def request_head_bytes(self, method, path, params=None, json_body=None, authenticate=True):
        """Bytes of request line plus headers of this request as it would be sent now (the current token included)."""
        prepared = self._prepare(method, path, params, json_body, authenticate)
        return head_bytes(prepared.method, prepared.url, prepared.headers)

    def head_measure(self, method, path, json_body=None):
        """``head_of(params)``: what request_head_bytes says of this request with the query ``params``, cheaply.

        Only the query differs between the chunks a split tries, so the request is prepared once
        without one and each query adds its length ("?" and request_size.query_length); a query
        that function does not count is prepared and measured in full.
        """
        without_query = self.request_head_bytes(method, path, None, json_body)

        def head_of(params):
            length = query_length(params) if not self._session.params else None
            if length is None:
                return self.request_head_bytes(method, path, params, json_body)
            return without_query + (len("?") + length if length else 0)
        return head_of

    def split_for_url(self, method, path, items, params_for, json_body=None):
        """The one rule for a list that goes into a URL: ``items`` in chunks, each request within max_request_bytes.

        ``params_for(chunk)`` gives the query of the request that carries ``chunk``. Order is
        kept and every item is in one chunk. Every chunk is measured before anything is sent,
        so an item that cannot fit even alone fails in one line first.
        """
        items = list(items)
        if not items:
            return []
        self._ensure_token()
        head_of = self.head_measure(method, path, json_body)
        try:
            return split_to_fit(items, lambda chunk: head_of(params_for(chunk)), self.max_request_bytes)
        except RequestTooLarge as exc:
            raise SepmInputError(
                "%s %s: a request for just %r needs %d bytes of request line and headers, more than max_request_bytes "
                "(%d): %s" % (method, path, exc.item, exc.head_bytes, self.max_request_bytes, MAX_REQUEST_BYTES_HINT)
            ) from None

    def _check_fits(self, prepared, path):
        size = head_bytes(prepared.method, prepared.url, prepared.headers)
        if size > self.max_request_bytes:
            raise SepmInputError("%s %s: its request line and headers would be %d bytes, more than max_request_bytes "
                                 "(%d), so it was not sent: %s" % (prepared.method, path.split("?")[0], size,
                                                                   self.max_request_bytes, MAX_REQUEST_BYTES_HINT))

    def _transmit(self, method, path, params, json_body, authenticate):
        prepared = self._prepare(method, path, params, json_body, authenticate)
        self._check_fits(prepared, path)
        self.request_count += 1
        try:
            response = self._session.send(prepared, timeout=self.timeout, stream=True, **self._send_settings)
            # The body in one read (requests' own reads 10 KB at a time: about twice the CPU for a page of computers),
            # kept where requests keeps a body it read, for .content, .text and .json().
            response._content = b"".join(response.iter_content(chunk_size=None))
            return response
        except requests.exceptions.SSLError as exc:
            raise tls_error(self._scrub(exc), self._origin(), self.host)
        except requests.exceptions.ConnectTimeout:
            raise unreachable(self._origin(), "connection timed out after %ss" % self.timeout, not_sent=True)
        except requests.exceptions.ConnectionError as exc:
            reason = connection_reason(self._scrub(exc))
            if "resolve" in reason:
                raise unresolvable(self.host)
            raise unreachable(self._origin(), reason, not_sent="refused" in reason)
        except requests.exceptions.Timeout:
            if method in ("GET", "HEAD") or path in IDEMPOTENT_POSTS:
                raise unreachable(self._origin(), "no reply within %ss" % self.timeout, not_sent=False)
            raise no_reply_to_write(method, path, self._origin(), self.timeout)
        except requests.exceptions.RequestException as exc:
            raise SepmConnectionError("the request to %s failed: %s" % (self._origin(), cut(self._scrub(exc))))
        except OSError as exc:
            raise unusable_ca_bundle(self._origin(), self._scrub(exc))

    def _note_server_time(self, response):
        header = response.headers.get("Date")
        if not header:
            return
        try:
            stamp = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return
        if stamp is not None and stamp.tzinfo is not None:
            self._server_time = stamp

    def _origin(self):
        return "https://%s:%d" % (self.host, self.port)

    def _wait_or_give_up(self, attempt, started, error, retry_after):
        elapsed = self._clock() - started
        if attempt >= self.max_attempts:
            error.message = "%s (gave up after %d attempts in %.1fs)" % (error.message, attempt, elapsed)
            raise error
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap, retry_after)
        kind = str(error.status or "connection")
        self._retries[kind] = self._retries.get(kind, 0) + 1
        if elapsed + delay > self.deadline:
            error.message = "%s (gave up after %d attempts: the %.0fs deadline would pass)" % (
                error.message, attempt, self.deadline)
            raise error
        self._sleep(delay)

    def take_retry_summary(self):
        """Retries since the last call, in one phrase (``"SEPM busy: 12 retries (429 x9, 503 x3)"``), then forgotten."""
        if not self._retries:
            return ""
        counts, self._retries = self._retries, {}
        return "SEPM busy: %d retries (%s)" % (sum(counts.values()), ", ".join(
            "%s x%d" % (kind, count) for kind, count in sorted(counts.items())))

    def _error_from(self, response, method, path):
        return http_error(response, method, path, self._origin(), self.username, self.domain,
                          (self._password, self._token))

    def _decode(self, response, method, path):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise SepmError("%s %s answered HTTP %s with a body that is not JSON" % (
                method, path, response.status_code), status=response.status_code)

    # -- paging ----------------------------------------------------------------------

    def paged(self, path, params=None, page_size=DEFAULT_PAGE_SIZE):
        """Yield every record of a paged SEPM list, page after page until ``lastPage``."""
        params = dict(params or {})
        params["pageSize"] = page_size
        page_index = 1
        while True:
            params["pageIndex"] = page_index
            page = self.request("GET", path, params=params) or {}
            content = page.get("content") or []
            yield from content
            total_pages = page.get("totalPages")
            if page.get("lastPage", True) or not content:
                return
            if isinstance(total_pages, int) and page_index >= total_pages:
                return
            page_index += 1
