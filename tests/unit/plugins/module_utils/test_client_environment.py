# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the client takes from the environment: proxies, the CA bundle variables, and never ~/.netrc."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import SepmClient, SepmConnectionError
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import (
    FakeClock,
    FakeSession,
    auth_ok,
    ok,
    serve_connections,
)

HOST = "sepm.example.test"
TOKEN = "tok-0001-abcdef"
STATS_REPLY = {"clientVersionList": [], "lastUpdated": 1}
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(name="environment")
def environment_fixture(monkeypatch, tmp_path):
    """The test's own environment: no proxy or CA bundle variable, and a home without a .netrc."""
    for variable in PROXY_VARIABLES + CA_VARIABLES + ("NETRC",):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


class ConnectRecorder:
    """A local HTTP proxy that records the request line of each CONNECT and refuses it (403)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.request_lines = []
        threading.Thread(target=serve_connections, args=(self.listener, self._answer), daemon=True).start()

    def _answer(self, connection, received):
        self.request_lines.append(received.split(b"\r\n", 1)[0].decode("latin-1"))
        connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self):
        self.listener.close()


@pytest.fixture(name="proxy")
def proxy_fixture():
    recorder = ConnectRecorder()
    yield recorder
    recorder.close()


def closed_port():
    """A local port nothing listens on: a direct connection to it is refused at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def real_client(port, **options):
    """A client with requests' own session (no fake transport), one attempt per call."""
    return SepmClient("127.0.0.1", port=port, token=TOKEN, max_attempts=1, timeout=5, **options)


# -- proxies -------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_carries_the_requests_to_the_sepm(environment, proxy, variable):
    environment.setenv(variable, proxy.url)
    port = closed_port()
    client = real_client(port)
    for _call in range(2):
        with pytest.raises(SepmConnectionError):
            client.client_version_stats()
    assert [line.split()[:2] for line in proxy.request_lines] == [["CONNECT", "127.0.0.1:%d" % port]] * 2


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy_naming_the_sepm_sends_it_directly(environment, proxy, variable):
    environment.setenv("HTTPS_PROXY", proxy.url)
    environment.setenv(variable, "localhost,127.0.0.1")
    with pytest.raises(SepmConnectionError) as info:
        real_client(closed_port()).client_version_stats()
    assert "refused" in str(info.value)
    assert proxy.request_lines == []


def test_an_http_proxy_alone_is_not_used_for_the_https_sepm(environment, proxy):
    # As requests does: HTTP_PROXY is for http:// URLs, and the SEPM's API is https only.
    environment.setenv("HTTP_PROXY", proxy.url)
    with pytest.raises(SepmConnectionError) as info:
        real_client(closed_port()).client_version_stats()
    assert "refused" in str(info.value)
    assert proxy.request_lines == []


# -- CA bundle variables ---------------------------------------------------------------------


@pytest.mark.parametrize("variables, options, verify", [
    ({}, {}, True),
    ({"REQUESTS_CA_BUNDLE": "/etc/pki/corporate.pem"}, {}, "/etc/pki/corporate.pem"),
    ({"CURL_CA_BUNDLE": "/etc/pki/curl.pem"}, {}, "/etc/pki/curl.pem"),
    ({"REQUESTS_CA_BUNDLE": "/etc/pki/corporate.pem", "CURL_CA_BUNDLE": "/etc/pki/curl.pem"}, {},
     "/etc/pki/corporate.pem"),
    ({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "/etc/pki/curl.pem"}, {}, "/etc/pki/curl.pem"),
    ({"REQUESTS_CA_BUNDLE": "/etc/pki/corporate.pem"}, {"ca_path": "/etc/pki/sepm-ca.pem"}, "/etc/pki/sepm-ca.pem"),
    ({"REQUESTS_CA_BUNDLE": "/etc/pki/corporate.pem"}, {"validate_certs": False}, False),
    ({"REQUESTS_CA_BUNDLE": "/etc/pki/corporate.pem"}, {"validate_certs": False, "ca_path": "/x.pem"}, False),
])
def test_the_ca_bundle_variables_apply_only_to_the_default_bundle(environment, variables, options, verify):
    for variable, value in variables.items():
        environment.setenv(variable, value)
    session = FakeSession(auth_ok(TOKEN), ok(STATS_REPLY))
    clock = FakeClock()
    client = SepmClient(HOST, username="admin", password="pw", session=session, sleep=clock.sleep, clock=clock,
                        **options)
    client.client_version_stats()
    assert [call.verify for call in session.calls] == [verify, verify]


# -- ~/.netrc ---------------------------------------------------------------------------------

NETRC_ENTRIES = {
    "the SEPM's host": "machine %s login alice password netrc-secret\n" % HOST,
    "a default entry": "default login alice password netrc-secret\n",
}


@pytest.mark.parametrize("entry", sorted(NETRC_ENTRIES))
@pytest.mark.parametrize("where", ["home", "NETRC variable"])
def test_a_netrc_entry_never_replaces_the_token_nor_joins_the_login(environment, tmp_path, entry, where):
    netrc = tmp_path / (".netrc" if where == "home" else "credentials.netrc")
    netrc.write_text(NETRC_ENTRIES[entry])
    netrc.chmod(0o600)
    if where != "home":
        environment.setenv("NETRC", str(netrc))
    session = FakeSession(auth_ok(TOKEN), ok(STATS_REPLY), ok(STATS_REPLY))
    clock = FakeClock()
    client = SepmClient(HOST, username="admin", password="pw", session=session, sleep=clock.sleep, clock=clock)
    client.client_version_stats()
    client.client_version_stats()
    login, *calls = session.calls
    assert login.authorization is None
    assert [call.authorization for call in calls] == ["Bearer %s" % TOKEN] * 2
