# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one client of the SEPM REST API.

Everything that knows HTTP, tokens, retries, paging and SEPM's error envelope lives
here; modules and plugins call the concept methods at the bottom and never build a
request themselves. No Ansible import, so the inventory plugin, the modules and the
unit tests share it as it is.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import random
import re
import time
from urllib.parse import quote

try:
    import requests
except ImportError:  # pragma: no cover - reported by the callers with missing_required_lib
    requests = None
    HAS_REQUESTS = False
else:
    HAS_REQUESTS = True

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import (
    DEFAULT_MAX_REQUEST_BYTES,
    RequestTooLarge,
    head_bytes,
    split_to_fit,
)

API_PATH = "/sepm/api/v1/"
DEFAULT_PORT = 8446
DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 30
# The key of a command id in the SEPM's reply, by kind of target.
COMMAND_REPLY_KEYS = {"computers": "commandID_computer", "groups": "commandID_group"}
# A page number as wide as any a list will reach, for measuring a paged request before its first page.
WIDEST_PAGE_INDEX = 99999
MAX_REQUEST_BYTES_HINT = (
    "the SEPM's web server (Tomcat) refuses a request line plus headers over its maxHttpHeaderSize, 8192 bytes unless "
    "its server.xml says more: raise max_request_bytes (or SEPM_MAX_REQUEST_BYTES) only to what that SEPM allows"
)
RETRYABLE_STATUS = frozenset((429, 502, 503, 504))
# Statuses a server answers before it acts on a request, so even a command is safe to send again.
RETRYABLE_STATUS_NOT_PROCESSED = frozenset((429, 503))
# Logging in and logging out change nothing on the SEPM that a second attempt could double.
IDEMPOTENT_POSTS = frozenset(("identity/authenticate", "identity/logout"))
# Re-login this many seconds before the SEPM says the token expires, so a long call does not start with a dying token.
TOKEN_EXPIRY_MARGIN = 60
REDACTED = "********"
# An error body is cut to this many characters for a message (after secrets are removed).
ERROR_TEXT_MAX = 200
COMMAND_CHECK_HINT = (
    "the SEPM may have received and run it before the reply was lost: before sending it again, look at the "
    "command's state with endpoint_ops.sepm.command_info (its id is in the SEPM console under Monitors > "
    "Command Status) or at the computers with endpoint_ops.sepm.computer_info"
)
WRITE_CHECK_HINT = (
    "the SEPM may have made the change before the reply was lost: read the object back (the matching "
    "endpoint_ops.sepm *_info module) before running the task again"
)


def _segment(value):
    """One URL path segment: an id with '/' or '..' in it must not reach another endpoint."""
    text = quote(str(value), safe="")
    # quote() leaves dots alone; a segment of dots alone would still climb the path.
    return text.replace(".", "%2E") if set(text) <= {"."} else text


def _path(template, *segments):
    """An API path from a template and its ids, each escaped as one segment."""
    return template % tuple(_segment(segment) for segment in segments)


class SepmError(Exception):
    """A failed SEPM call: HTTP status, SEPM errorCode/errorMessage and what to change.

    ``str()`` gives one line fit for ``fail_json(msg=...)``; it never holds a secret
    because the client scrubs every message it builds.
    """

    def __init__(self, message, status=None, error_code=None, error_message=None, hint=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.hint = hint

    def __str__(self):
        if self.hint:
            return "%s: %s" % (self.message, self.hint)
        return self.message

    def to_dict(self):
        return {
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


class SepmAuthError(SepmError):
    """The SEPM refused the credentials or the token."""


class SepmConnectionError(SepmError):
    """The SEPM could not be reached, or its certificate is not trusted.

    ``retryable``: a later attempt may succeed; ``request_sent``: the SEPM may have
    received the request, so only an idempotent one is sent again.
    """

    def __init__(self, message, retryable=False, request_sent=True, **kwargs):
        super().__init__(message, **kwargs)
        self.retryable = retryable
        self.request_sent = request_sent


class SepmTlsError(SepmConnectionError):
    """The SEPM answered, but TLS failed: its certificate is not trusted or not issued for the host name."""


class SepmNotFoundError(SepmError):
    """The SEPM answered 410: the group, computer, policy or command does not exist."""


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


class SepmClient:
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
        # Passed with every request too: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        self._verify = (ca_path or True) if validate_certs else False
        session.verify = self._verify
        session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        self._session = session

    def __repr__(self):
        return "SepmClient(%r, user=%r)" % (self.base_url, self.username)

    @property
    def token(self):
        """The session token, for a caller (the login module) that hands it on."""
        return self._token

    # -- secrets ---------------------------------------------------------------------

    def _scrub(self, text):
        """Remove the password and token from text that may end up in a message."""
        text = str(text)
        for secret in (self._password, self._token):
            if secret and len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return text

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

    def request_head_bytes(self, method, path, params=None, json_body=None, authenticate=True):
        """Bytes of request line plus headers of this request as it would be sent now (the current token included).

        Measured on the request the session prepares, the one ``session.request`` would send:
        its encoded query, the session's headers and cookies, Content-Length.
        """
        data = json.dumps(json_body) if json_body is not None else None
        prepared = self._session.prepare_request(requests.Request(
            method, self.base_url + path.lstrip("/"), params=params, data=data, headers=self._headers(authenticate)))
        return head_bytes(prepared.method, prepared.url, prepared.headers)

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
        try:
            return split_to_fit(items, lambda chunk: self.request_head_bytes(method, path, params_for(chunk), json_body),
                                self.max_request_bytes)
        except RequestTooLarge as exc:
            raise SepmInputError(
                "%s %s: a request for just %r needs %d bytes of request line and headers, more than max_request_bytes "
                "(%d): %s" % (method, path, exc.item, exc.head_bytes, self.max_request_bytes, MAX_REQUEST_BYTES_HINT)
            ) from None

    def _check_fits(self, method, path, params, json_body, authenticate):
        size = self.request_head_bytes(method, path, params, json_body, authenticate)
        if size > self.max_request_bytes:
            raise SepmInputError("%s %s: its request line and headers would be %d bytes, more than max_request_bytes "
                                 "(%d), so it was not sent: %s" % (method, path.split("?")[0], size,
                                                                   self.max_request_bytes, MAX_REQUEST_BYTES_HINT))

    def _transmit(self, method, path, params, json_body, authenticate):
        self._check_fits(method, path, params, json_body, authenticate)
        headers = self._headers(authenticate)
        data = json.dumps(json_body) if json_body is not None else None
        self.request_count += 1
        try:
            return self._session.request(method, self.base_url + path, params=params, data=data,
                                         headers=headers, timeout=self.timeout, verify=self._verify)
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc)
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable("connection timed out after %ss" % self.timeout, not_sent=True)
        except requests.exceptions.ConnectionError as exc:
            reason = self._connection_reason(exc)
            if "resolve" in reason:
                raise SepmConnectionError(
                    "cannot resolve the SEPM host name %r" % self.host,
                    hint="check sepm_host (or SEPM_HOST)",
                )
            raise self._unreachable(reason, not_sent="refused" in reason)
        except requests.exceptions.Timeout:
            if method in ("GET", "HEAD") or path in IDEMPOTENT_POSTS:
                raise self._unreachable("no reply within %ss" % self.timeout, not_sent=False)
            # The request reached the SEPM: it may have acted on it, so say so and how to check.
            raise SepmConnectionError(
                "%s %s got no reply from %s within %ss" % (method, path.split("?")[0], self._origin(), self.timeout),
                retryable=True, request_sent=True,
                hint=COMMAND_CHECK_HINT if path.startswith("command-queue") else WRITE_CHECK_HINT,
            )
        except requests.exceptions.RequestException as exc:
            raise SepmConnectionError("the request to %s failed: %s" % (
                self._origin(), self._cut(self._scrub(exc))))
        except OSError as exc:
            # requests raises a bare OSError when the CA bundle it was given cannot be read.
            raise SepmConnectionError(
                "cannot use the CA bundle for %s: %s" % (self._origin(), self._cut(self._scrub(exc))),
                hint="set ca_path to a readable PEM file of the CA that signed the SEPM certificate",
            )

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

    def server_time(self, refresh=False):
        """The SEPM's clock (UTC), from the Date header of its latest reply; asks it when none was seen."""
        if refresh or self._server_time is None:
            self.version()
        return self._server_time

    def _origin(self):
        return "https://%s:%d" % (self.host, self.port)

    def _unreachable(self, reason, not_sent):
        return SepmConnectionError(
            "cannot reach the SEPM at %s (%s)" % (self._origin(), reason),
            retryable=True, request_sent=not not_sent,
            hint="check sepm_host and sepm_port (or SEPM_HOST and SEPM_PORT), and that the SEPM "
                 "web service is running and reachable from this controller",
        )

    def _tls_error(self, exc):
        """What is wrong with TLS, in words a user acts on, and what to do."""
        text = self._scrub(exc)
        lowered = text.lower()
        if "mismatch" in lowered or ("hostname" in lowered and "match" in lowered):
            return SepmTlsError(
                "the TLS certificate of %s is not issued for the name %r (hostname mismatch)" % (self._origin(), self.host),
                hint="set sepm_host to a name the certificate is issued for (its subject alternative names), or "
                     "re-issue the SEPM certificate with this name; ca_path does not change this",
            )
        if "no_certificate_or_crl_found" in lowered or "pem lib" in lowered or "x509" in lowered \
                or "could not find a suitable tls ca certificate bundle" in lowered:
            return SepmTlsError(
                "the CA bundle given for %s cannot be loaded: it is not a PEM CA bundle" % self._origin(),
                hint="set ca_path to the SEPM's CA certificate exported in PEM (Base-64) format",
            )
        return SepmTlsError(
            "the TLS certificate of %s is not trusted (%s)" % (self._origin(), self._tls_reason(text)),
            hint="set ca_path to the CA bundle that signed the SEPM certificate (or SEPM_CA_PATH), "
                 "or validate_certs: false on a lab SEPM",
        )

    @staticmethod
    def _cut(text):
        """The first line of ``text``, at most ERROR_TEXT_MAX characters: call it only on scrubbed text."""
        lines = str(text).strip().splitlines()
        return lines[0][:ERROR_TEXT_MAX] if lines else ""

    @classmethod
    def _tls_reason(cls, text):
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            detail = text.split("certificate verify failed:", 1)[-1]
            detail = re.sub(r"\s*\(_ssl\.c:\d+\).*$", "", detail.split(")")[0] + ")").strip(" '\")")
            return "certificate verify failed: %s" % detail if detail else "certificate verify failed"
        return cls._cut(text)

    def _connection_reason(self, exc):
        text = self._scrub(exc)
        lowered = text.lower()
        if "name or service not known" in lowered or "nodename nor servname" in lowered \
                or "nameresolutionerror" in lowered or "failed to resolve" in lowered \
                or "temporary failure in name resolution" in lowered:
            return "cannot resolve host"
        if "refused" in lowered:
            return "connection refused"
        if "remotedisconnected" in lowered or "aborted" in lowered or "reset by peer" in lowered:
            return "the connection was closed without a reply"
        if "timed out" in lowered:
            return "timed out"
        return self._cut(text)

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
        status = response.status_code
        error_code = error_message = None
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if isinstance(envelope, dict):
            error_code = envelope.get("errorCode")
            error_message = envelope.get("errorMessage")
        if error_message is None:
            error_message = response.text or response.reason or ""
        # Scrub before cutting: a cut through an echoed password would leave its prefix behind.
        error_message = self._cut(self._scrub(error_message))
        what = "%s %s" % (method, path.split("?")[0])
        if path == "identity/authenticate" and status in (400, 401, 403):
            return SepmAuthError(
                "the SEPM at %s rejected the login of %r in domain %r (HTTP %s: %s)" % (
                    self._origin(), self.username, self.domain or "Default", status, error_message),
                status=status, error_code=error_code, error_message=error_message,
                hint="check sepm_username, sepm_password and sepm_domain",
            )
        if status == 401:
            return SepmAuthError(
                "the SEPM refused the session token for %s (HTTP 401: %s)" % (what, error_message),
                status=status, error_code=error_code, error_message=error_message,
                hint="the token expired or was revoked: pass sepm_password so the module can log in again, "
                     "or run endpoint_ops.sepm.login again",
            )
        if status == 403:
            return SepmAuthError(
                "the SEPM user %r may not call %s (HTTP 403: %s)" % (self.username, what, error_message),
                status=status, error_code=error_code, error_message=error_message,
                hint="use a system administrator account",
            )
        error_type = SepmNotFoundError if status == 410 else SepmError
        return error_type(
            "%s failed with HTTP %s: %s" % (what, status, error_message),
            status=status, error_code=error_code, error_message=error_message,
        )

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

    # -- SEPM concepts ---------------------------------------------------------------

    def version(self, params=None):
        """``GET version``: the SEPM's version; needs no token (``params``: the preflight's harmless long query)."""
        return self._send("GET", "version", params=params, authenticate=False)

    def computers(self, group_id=None, name=None, computer_id=None, hardware_key=None, os=None,
                  page_size=DEFAULT_PAGE_SIZE):
        """Every computer record matching the SEPM-side filters, of one group or of the domain."""
        params = {}
        if name:
            params["computerName"] = name
        if computer_id:
            params["computer_id"] = computer_id
        if hardware_key:
            params["hardware_key"] = hardware_key
        path = _path("groups/%s/computers", group_id) if group_id else "computers"
        if not os:
            return self.paged(path, params, page_size=page_size)
        # A computer has one OS, so the lists of several OS filters never overlap.
        chunks = self.split_for_url("GET", path, os, lambda chunk: dict(
            params, os=list(chunk), pageSize=page_size, pageIndex=WIDEST_PAGE_INDEX))
        return itertools.chain.from_iterable(
            self.paged(path, dict(params, os=chunk), page_size=page_size) for chunk in chunks)

    def groups(self, full_path=None, page_size=DEFAULT_PAGE_SIZE):
        params = {"fullPathName": full_path} if full_path else {}
        return self.paged("groups", params, page_size=page_size)

    def find_group(self, full_path):
        """The group record whose full path is ``full_path`` (compared without case), or None."""
        wanted = (full_path or "").strip().lower()
        if not wanted:
            return None  # no path names no group (a root has no parent to look up)
        for group in self.groups(full_path=full_path):
            if (group.get("fullPathName") or "").lower() == wanted:
                return group
        return None

    def group_by_path(self, full_path):
        """Like find_group, but a missing group is an error naming the path."""
        group = self.find_group(full_path)
        if group is None:
            raise SepmNotFoundError(
                "group '%s' does not exist in the SEPM" % full_path, status=410,
                hint="give the full path with backslashes, e.g. 'My Company\\Servers'",
            )
        return group

    def group(self, group_id):
        return self.request("GET", _path("groups/%s", group_id))

    def create_group(self, parent_id, name, description="", inherits=True):
        """Create a child group; the SEPM answers 201 without the new id, so the caller looks it up."""
        body = {"name": name, "inherits": bool(inherits)}
        if description:
            # The reference's GroupPayload takes a description of 1 to 1024 characters: none is left out.
            body["description"] = description
        self.request("POST", _path("groups/%s", parent_id), json_body=body)

    def update_group(self, group_id, changes):
        self.request("PATCH", _path("groups/%s", group_id), json_body=changes)

    def delete_group(self, group_id):
        self.request("DELETE", _path("groups/%s", group_id))

    def group_locations(self, group_id):
        """A group's locations as ``[{"id", "name"}]``, from ``"Name:api/v1/locations/<id>"`` strings."""
        reply = self.request("GET", _path("groups/%s/locations", group_id), params={"hasName": "true"}) or []
        locations = []
        for entry in reply:
            if isinstance(entry, dict):
                locations.append({"id": entry.get("id"), "name": entry.get("name")})
                continue
            name, _sep, reference = str(entry).rpartition(":")
            location_id = reference.rstrip("/").rsplit("/", 1)[-1]
            locations.append({"id": location_id, "name": name or location_id})
        return locations

    def location_policy(self, group_id, location_id, policy_type):
        """Id of the policy of ``policy_type`` assigned at a group location, or None when none is."""
        try:
            return self.request("GET", _path("groups/%s/locations/%s/policies/%s", group_id, location_id, policy_type))
        except SepmNotFoundError:
            return None

    def assign_location_policy(self, group_id, location_id, policy_type, policy_id):
        self.request("PUT", _path("groups/%s/locations/%s/policies/%s", group_id, location_id, policy_type),
                     json_body={"id": policy_id})

    def group_policy(self, group_id, policy_type):
        """Id of a location-independent policy (``lucontent``) assigned to a group, or None."""
        try:
            reply = self.request("GET", _path("groups/%s/policies/%s", group_id, policy_type))
        except SepmNotFoundError:
            return None
        return reply.get("id") if isinstance(reply, dict) else reply

    def assign_group_policy(self, group_id, policy_type, policy_id):
        self.request("PUT", _path("groups/%s/policies/%s", group_id, policy_type), json_body={"id": policy_id})

    def policy_summaries(self, policy_type=None):
        """Every policy summary (the SEPM does not page this list), of one type or of all."""
        path = _path("policies/summary/%s", policy_type) if policy_type else "policies/summary"
        reply = self.request("GET", path) or {}
        return reply.get("content") or []

    def lu_policy(self, policy_id):
        """A LiveUpdate Settings policy in full; the API can read these but not write them."""
        return self.request("GET", _path("policies/lu/%s", policy_id))

    def location_settings(self, group_id, location_id):
        return self.request("GET", _path("groups/%s/locations/%s/settings", group_id, location_id))

    def update_location_settings(self, group_id, location_id, configuration):
        self.request("PATCH", _path("groups/%s/locations/%s/settings", group_id, location_id),
                     json_body={"configuration": configuration})

    def move_computers(self, moves, chunk_size=DEFAULT_PAGE_SIZE):
        """Move computers between groups: ``moves`` is ``[(hardware_key, group_id)]``.

        One PATCH carries many computers; the reply has a code per computer, returned in order.
        """
        replies = []
        moves = list(moves)
        for start in range(0, len(moves), chunk_size):
            body = [{"group": {"id": group_id}, "hardwareKey": hardware_key}
                    for hardware_key, group_id in moves[start:start + chunk_size]]
            replies.extend(self.request("PATCH", "computers", json_body=body) or [])
        return replies

    def send_command(self, command, computer_ids=None, group_ids=None, body=None):
        """Queue a command for many computers or groups; returns its command ids by kind of target.

        The targets go into the URL, so a long list takes several requests (split_for_url), each
        queueing a command of its own: ``{"computers": [id, ...], "groups": [id, ...]}`` (a kind
        only when given) holds them all, in the order sent, to be read and cancelled as one.
        """
        path = _path("command-queue/%s", command)
        batches = []
        for kind, parameter, ids in (("computers", "computer_ids", computer_ids), ("groups", "group_ids", group_ids)):
            def query(chunk, parameter=parameter):
                return {parameter: ",".join(chunk)}
            batches += [(kind, query(chunk)) for chunk in self.split_for_url("POST", path, ids or (), query, json_body=body)]
        command_ids = {}
        for number, (kind, params) in enumerate(batches):
            try:
                reply = self.request("POST", path, params=params, json_body=body) or {}
            except SepmError as exc:
                if number:
                    exc.message = "%s (%d of its %d requests had queued commands %s: read them with " \
                                  "endpoint_ops.sepm.command_info)" % (exc.message, number, len(batches), command_ids)
                raise
            command_ids.setdefault(kind, [])
            if reply.get(COMMAND_REPLY_KEYS[kind]):
                command_ids[kind].append(reply[COMMAND_REPLY_KEYS[kind]])
        return command_ids

    def command_status(self, command_id, page_size=DEFAULT_PAGE_SIZE):
        """One row per computer of a command, all pages."""
        return self.paged(_path("command-queue/%s", command_id), page_size=page_size)

    def cancel_command(self, command_id):
        return self.request("POST", _path("command-queue/%s/cancel", command_id), idempotent=True)

    def critical_events(self, include_acknowledged=True):
        """``GET events/critical``: the SEPM's notices, acknowledged ones too unless ``include_acknowledged`` is false.

        The SEPM leaves acknowledged notices out unless asked; a "New software package available"
        notice someone acknowledged in the console is still a download, so callers want them all.
        """
        params = {"includeAcknowledged": "true"} if include_acknowledged else None
        return self.request("GET", "events/critical", params=params) or {}

    def client_version_stats(self):
        """``GET stats/client/version``: how many clients run each version."""
        return self.request("GET", "stats/client/version")
