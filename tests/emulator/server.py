"""HTTPS front end: keep-alive HTTP/1.1, SEPM routing, faults, throttle and the control API."""

import json
import math
import socket
import ssl
import sys
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import control, tomcat
from .sepm_api import JsonText, Reply, Request, find_route
from .state import ApiError

SEPM_PREFIX = "/sepm/api/v1/"
CONTROL_PREFIX = "/_emulator/"
# A refused request's body is read and dropped up to this size, so closing the connection does not
# reset it before the client has read the 400 (a bigger body: the connection just closes).
DISCARDED_BODY_MAX = 1024 * 1024


def envelope(status, message):
    return {"errorCode": str(status), "appErrorCode": "", "errorMessage": message}


class HeadCountingReader:
    """The connection's reader while the header lines are read: counts their bytes, the blank line's too."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readline(self, limit=-1):
        line = self.raw.readline(limit)
        self.count += len(line)
        return line

    def __getattr__(self, name):
        return getattr(self.raw, name)


class SepmRequestHandler(BaseHTTPRequestHandler):
    """One connection; the emulator instance hangs off the server."""

    protocol_version = "HTTP/1.1"
    server_version = "SEPM-Emulator/1.0"
    sys_version = ""

    def setup(self):
        self.request.settimeout(30)
        self.request.do_handshake()
        self.request.settimeout(None)
        super().setup()
        self.headers_complete = False
        # Small replies on a kept-alive connection must not wait for delayed ACKs.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def date_time_string(self, timestamp=None):
        """The Date header in simulated time: the rollout reads the SEPM's clock from it, as from a real server."""
        if timestamp is None:
            timestamp = self.server.emulator.clock.now_ms() / 1000.0
        return super().date_time_string(timestamp)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the harness does not drain stderr while the emulator runs."""

    def do_GET(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_POST(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_PUT(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._dispatch()

    # ----- request head: Tomcat's limit ------------------------------------------------------
    def handle_one_request(self):
        self.headers_complete = False
        super().handle_one_request()

    def parse_request(self):
        """Python's parsing, then Tomcat's rule: request line plus headers over the limit is a 400."""
        reader = HeadCountingReader(self.rfile)
        self.rfile = reader
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = reader.raw
        if not parsed:
            return False
        self.headers_complete = True
        head_bytes = len(self.raw_requestline) + reader.count
        refused = head_bytes > self.server.emulator.settings["max_header_bytes"]
        if self.path.startswith(SEPM_PREFIX):
            self.server.emulator.note_request_head(head_bytes, refused)
        if refused:
            self._refuse_head()
        return not refused

    def send_error(self, code, message=None, explain=None):
        # Python gives up on a line of 64 KB (414) or a header line that long (431): Tomcat refused such a head long before.
        if code in (HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE):
            read = len(getattr(self, "raw_requestline", b"")) + getattr(self.rfile, "count", 0)
            self.server.emulator.note_request_head(read, True)
            self._refuse_head()
            return
        super().send_error(code, message, explain)

    def _refuse_head(self):
        """Tomcat's answer to a head it will not read: 400, its error page, and the connection closed."""
        self.close_connection = True
        length = self.headers.get("Content-Length", "") if self.headers_complete else ""
        if length.isdigit() and 0 < int(length) <= DISCARDED_BODY_MAX:
            self.rfile.read(int(length))
        # Tomcat sends no reason phrase.
        self.send_response(400, "")
        for name, value in tomcat.HEADER_TOO_LARGE_HEADERS:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(tomcat.HEADER_TOO_LARGE_BODY)

    # ----- plumbing ----------------------------------------------------------------------
    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None
        return json.loads(raw)

    def _send(self, status, payload, headers=None):
        if payload is None:
            data = b""
        elif isinstance(payload, JsonText):
            data = payload.encode("utf-8")
        else:
            data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _dispatch(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            body = self._read_body()
        except (ValueError, UnicodeDecodeError):
            self._send(400, envelope(400, "The request body is not valid JSON."))
            return
        try:
            if parts.path.startswith(CONTROL_PREFIX):
                status, reply = control.handle(self.server.emulator, self.command, parts.path[len(CONTROL_PREFIX):], query, body)
                self._send(status, reply)
            elif parts.path.startswith(SEPM_PREFIX):
                self._sepm(parts.path[len(SEPM_PREFIX):], query, body)
            else:
                self._send(404, envelope(404, "The requested resource was not found."))
        except Exception:  # pylint: disable=broad-exception-caught
            # A bug in the emulator must still answer, like a real server's 500.
            traceback.print_exc(file=sys.stderr)
            self._send(500, envelope(500, "The web service encountered an error processing the web request."))

    # ----- SEPM --------------------------------------------------------------------------
    def _sepm(self, path, query, body):
        emu = self.server.emulator
        route, found = find_route(self.command, path)
        with emu.lock:
            key = f"{self.command} {route.template if route else '(unknown)'}"
            emu.requests[key] = emu.requests.get(key, 0) + 1
            latency = control.take_fault(emu, self.command, path, ("latency",))
            fault = control.take_fault(emu, self.command, path, ("http_status", "drop"))
        if latency:
            time.sleep(latency["seconds"])
        if fault and fault["kind"] == "drop":
            self.close_connection = True
            return
        if fault:
            headers = {"Retry-After": fault["retry_after"]} if fault.get("retry_after") is not None else {}
            self._send(fault["status"], envelope(fault["status"], "Injected fault."), headers)
            return
        reply = self._throttled(emu)
        if reply is None and route is None:
            status = 405 if found else 404
            reply = Reply(status, envelope(status, "The requested resource was not found." if status == 404 else "Method not allowed."))
        if reply is None:
            reply = self._call(emu, route, Request(self.command, path, query, body, found))
        self._send(reply.status, reply.body, reply.headers)

    @staticmethod
    def _throttled(emu):
        throttle = emu.settings["throttle"]
        if not throttle:
            return None
        with emu.lock:
            now = time.monotonic()
            window = emu.throttle_window
            if now - window[0] >= throttle["window_s"]:
                window[0], window[1] = now, 0
            window[1] += 1
            if window[1] <= throttle["limit"]:
                return None
            retry = max(1, math.ceil(throttle["window_s"] - (now - window[0])))
        return Reply(429, envelope(429, "Too many requests."), {"Retry-After": retry})

    def _call(self, emu, route, request):
        with emu.lock:
            emu.sim.advance()
            try:
                if route.access != "public":
                    request.raw_token, request.token = emu.tokens.check(self.headers.get("Authorization"))
                    if route.access == "sysadmin" and request.token.bitmask != 8:
                        raise ApiError(403, "The current user does not have sufficient rights to execute the web method.")
                return route.handler(emu, request)
            except ApiError as error:
                return Reply(error.status, envelope(error.status, error.message), error.headers)


class EmulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer over TLS; the TLS handshake runs in the connection's thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator, cert_path, key_path):
        super().__init__(address, SepmRequestHandler)
        self.emulator = emulator
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        """Clients dropping connections (or failing TLS) are routine here: stay quiet."""
