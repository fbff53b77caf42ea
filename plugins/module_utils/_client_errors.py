# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SEPM client's errors and the one line a user reads about a TLS, connection or HTTP failure. Pure Python.

Private to the client: callers import the error types from ``client.py``. Every function
here takes text the client has already scrubbed of its password and token, so a message
can never carry a secret.
"""

from __future__ import annotations

import re

REDACTED = "********"
# An error body is cut to this many characters for a message (after secrets are removed).
ERROR_TEXT_MAX = 200
MAX_REQUEST_BYTES_HINT = (
    "the SEPM's web server (Tomcat) refuses a request line plus headers over its maxHttpHeaderSize, 8192 bytes unless "
    "its server.xml says more: raise max_request_bytes (or SEPM_MAX_REQUEST_BYTES) only to what that SEPM allows"
)
COMMAND_CHECK_HINT = (
    "the SEPM may have received and run it before the reply was lost: before sending it again, look at the "
    "command's state with endpoint_ops.sepm.command_info (its id is in the SEPM console under Monitors > "
    "Command Status) or at the computers with endpoint_ops.sepm.computer_info"
)
WRITE_CHECK_HINT = (
    "the SEPM may have made the change before the reply was lost: read the object back (the matching "
    "endpoint_ops.sepm *_info module) before running the task again"
)


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


def scrub(text, secrets):
    """``text`` without any of ``secrets`` (the password, the token) that is long enough to be one."""
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def cut(text):
    """The first line of ``text``, at most ERROR_TEXT_MAX characters: call it only on scrubbed text."""
    lines = str(text).strip().splitlines()
    return lines[0][:ERROR_TEXT_MAX] if lines else ""


# -- connection and TLS ------------------------------------------------------------------

def unreachable(origin, reason, not_sent):
    return SepmConnectionError(
        "cannot reach the SEPM at %s (%s)" % (origin, reason),
        retryable=True, request_sent=not not_sent,
        hint="check sepm_host and sepm_port (or SEPM_HOST and SEPM_PORT), and that the SEPM "
             "web service is running and reachable from this controller",
    )


def unresolvable(host):
    return SepmConnectionError("cannot resolve the SEPM host name %r" % host, hint="check sepm_host (or SEPM_HOST)")


def no_reply_to_write(method, path, origin, timeout):
    """A write that got no reply reached the SEPM: it may have acted on it, so say so and how to check."""
    return SepmConnectionError(
        "%s %s got no reply from %s within %ss" % (method, path.split("?")[0], origin, timeout),
        retryable=True, request_sent=True,
        hint=COMMAND_CHECK_HINT if path.startswith("command-queue") else WRITE_CHECK_HINT,
    )


def unusable_ca_bundle(origin, text):
    # requests raises a bare OSError when the CA bundle it was given cannot be read.
    return SepmConnectionError(
        "cannot use the CA bundle for %s: %s" % (origin, cut(text)),
        hint="set ca_path to a readable PEM file of the CA that signed the SEPM certificate",
    )


def connection_reason(text):
    """A connection failure of the HTTP library in the words of ``cannot reach ... (<reason>)``."""
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
    return cut(text)


def tls_error(text, origin, host):
    """What is wrong with TLS, in words a user acts on, and what to do."""
    lowered = text.lower()
    if "mismatch" in lowered or ("hostname" in lowered and "match" in lowered):
        return SepmTlsError(
            "the TLS certificate of %s is not issued for the name %r (hostname mismatch)" % (origin, host),
            hint="set sepm_host to a name the certificate is issued for (its subject alternative names), or "
                 "re-issue the SEPM certificate with this name; ca_path does not change this",
        )
    if "no_certificate_or_crl_found" in lowered or "pem lib" in lowered or "x509" in lowered \
            or "could not find a suitable tls ca certificate bundle" in lowered:
        return SepmTlsError(
            "the CA bundle given for %s cannot be loaded: it is not a PEM CA bundle" % origin,
            hint="set ca_path to the SEPM's CA certificate exported in PEM (Base-64) format",
        )
    return SepmTlsError(
        "the TLS certificate of %s is not trusted (%s)" % (origin, _tls_reason(text)),
        hint="set ca_path to the CA bundle that signed the SEPM certificate (or SEPM_CA_PATH), "
             "or validate_certs: false on a lab SEPM",
    )


def _tls_reason(text):
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        detail = text.split("certificate verify failed:", 1)[-1]
        detail = re.sub(r"\s*\(_ssl\.c:\d+\).*$", "", detail.split(")")[0] + ")").strip(" '\")")
        return "certificate verify failed: %s" % detail if detail else "certificate verify failed"
    return cut(text)


# -- HTTP errors -------------------------------------------------------------------------

def http_error(response, method, path, origin, username, domain, secrets):
    """The SepmError for an HTTP error reply, from SEPM's error envelope when it sent one."""
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
    error_message = cut(scrub(error_message, secrets))
    what = "%s %s" % (method, path.split("?")[0])
    if path == "identity/authenticate" and status in (400, 401, 403):
        return SepmAuthError(
            "the SEPM at %s rejected the login of %r in domain %r (HTTP %s: %s)" % (
                origin, username, domain or "Default", status, error_message),
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
            "the SEPM user %r may not call %s (HTTP 403: %s)" % (username, what, error_message),
            status=status, error_code=error_code, error_message=error_message,
            hint="use a system administrator account",
        )
    error_type = SepmNotFoundError if status == 410 else SepmError
    return error_type(
        "%s failed with HTTP %s: %s" % (what, status, error_message),
        status=status, error_code=error_code, error_message=error_message,
    )
