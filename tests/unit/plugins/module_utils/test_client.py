# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests of SepmClient against a scripted fake SEPM: no network, no real sleeping."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
from hypothesis import given, settings, strategies as st

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import (
    SepmAuthError,
    SepmClient,
    SepmConnectionError,
    SepmError,
    SepmNotFoundError,
    backoff_delay,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.tests.unit.plugins.module_utils.fake_sepm import (
    FakeClock,
    FakeResponse,
    FakeSession,
    auth_ok,
    error,
    ok,
    page,
)

HOST = "sepm.example.test"
USERNAME = "admin"
PASSWORD = "S3cret-Passw0rd!"
TOKEN = "tok-0001-abcdef"
TOKEN_2 = "tok-0002-123456"
VERSION_REPLY = {"API_SEQUENCE": "240604011", "API_VERSION": "14.3.9000", "version": "14.3.25029.9000"}
STATS_REPLY = {"clientVersionList": [{"version": "14.3.9717.7000", "clientsCount": 1}], "lastUpdated": 1}

CONNECTION_ABORTED = "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"
CONNECTION_REFUSED = (
    "HTTPSConnectionPool(host='sepm.example.test', port=8446): Max retries exceeded with url: /sepm/api/v1/computers "
    "(Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: "
    "Failed to establish a new connection: [Errno 111] Connection refused'))"
)


def make_client(*script, **options):
    """A client with the default test credentials talking to a FakeSession scripted with ``script``."""
    clock = FakeClock()
    session = FakeSession(*script)
    kwargs = {
        "host": HOST,
        "username": USERNAME,
        "password": PASSWORD,
        "session": session,
        "sleep": clock.sleep,
        "clock": clock,
    }
    kwargs.update(options)
    return SepmClient(**kwargs), session, clock


def assert_no_secret(text):
    assert PASSWORD not in text
    assert TOKEN not in text
    assert TOKEN_2 not in text


# -- construction ---------------------------------------------------------------------


def test_base_url_defaults_to_port_8446_and_api_path():
    client, session, _clock = make_client(auth_ok(), ok(STATS_REPLY))
    client.client_version_stats()
    assert session.calls[0].url == "https://%s:8446/sepm/api/v1/identity/authenticate" % HOST
    assert session.calls[1].url == "https://%s:8446/sepm/api/v1/stats/client/version" % HOST


def test_session_sends_json_and_validates_certificates_by_default():
    _client, session, _clock = make_client()
    assert session.verify is True
    assert session.headers["Accept"] == "application/json"
    assert session.headers["Content-Type"] == "application/json"


def test_ca_path_and_validate_certs_false_set_session_verify():
    _client, with_ca, _clock = make_client(ca_path="/etc/pki/sepm-ca.pem")
    _client, unverified, _clock = make_client(validate_certs=False, ca_path="/etc/pki/sepm-ca.pem")
    assert with_ca.verify == "/etc/pki/sepm-ca.pem"
    assert unverified.verify is False


def test_every_request_carries_ca_path_so_requests_ca_bundle_cannot_override_it():
    # requests replaces a session's verify with REQUESTS_CA_BUNDLE unless each request passes it.
    client, session, _clock = make_client(auth_ok(), ok(STATS_REPLY), ca_path="/etc/pki/sepm-ca.pem")
    client.client_version_stats()
    assert [call.verify for call in session.calls] == ["/etc/pki/sepm-ca.pem"] * 2


def test_no_host_raises_naming_the_option():
    with pytest.raises(SepmError) as info:
        make_client(host="")
    assert "sepm_host" in str(info.value)


# -- authentication -------------------------------------------------------------------


def test_logs_in_on_first_use_with_empty_domain_by_default():
    client, session, _clock = make_client(auth_ok(), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert session.paths() == ["POST identity/authenticate", "GET stats/client/version"]
    login = session.calls[0]
    assert login.body == {"username": USERNAME, "password": PASSWORD, "domain": ""}
    assert login.authorization is None


def test_login_sends_the_given_domain():
    client, session, _clock = make_client(auth_ok(), ok(STATS_REPLY), domain="Europe")
    client.client_version_stats()
    assert session.logins[0].body["domain"] == "Europe"


def test_token_is_reused_across_calls_with_bearer_header():
    client, session, _clock = make_client(auth_ok(TOKEN), ok(STATS_REPLY), ok(STATS_REPLY), ok(STATS_REPLY))
    for _round in range(3):
        client.client_version_stats()
    assert len(session.logins) == 1
    api_calls = session.calls_to("stats/client/version")
    assert len(api_calls) == 3
    assert [call.authorization for call in api_calls] == ["Bearer %s" % TOKEN] * 3
    assert client.token == TOKEN


def test_given_token_is_used_without_login():
    client, session, _clock = make_client(ok(STATS_REPLY), password=None, token=TOKEN)
    assert client.client_version_stats() == STATS_REPLY
    assert session.paths() == ["GET stats/client/version"]
    assert session.calls[0].authorization == "Bearer %s" % TOKEN


def test_version_needs_no_token():
    client, session, _clock = make_client(ok(VERSION_REPLY))
    assert client.version() == VERSION_REPLY
    assert session.paths() == ["GET version"]
    assert session.calls[0].authorization is None


def test_401_logs_in_again_once_and_retries():
    client, session, _clock = make_client(
        auth_ok(TOKEN), error(401, error_message="Unauthorized"), auth_ok(TOKEN_2), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert session.paths() == [
        "POST identity/authenticate",
        "GET stats/client/version",
        "POST identity/authenticate",
        "GET stats/client/version",
    ]
    api_calls = session.calls_to("stats/client/version")
    assert [call.authorization for call in api_calls] == ["Bearer %s" % TOKEN, "Bearer %s" % TOKEN_2]


def test_second_401_raises_auth_error_naming_the_fix():
    client, session, _clock = make_client(auth_ok(TOKEN), error(401), auth_ok(TOKEN_2), error(401))
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    assert len(session.logins) == 2
    assert info.value.status == 401
    message = str(info.value)
    assert "sepm_password" in message
    assert "endpoint_ops.sepm.login" in message
    assert_no_secret(message)


def test_401_with_only_a_token_raises_without_login_attempt():
    client, session, _clock = make_client(error(401), password=None, token=TOKEN)
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    assert session.paths() == ["GET stats/client/version"]
    assert info.value.status == 401
    assert "sepm_password" in str(info.value)
    assert_no_secret(str(info.value))


def test_no_credentials_at_all_raises_before_any_request():
    client, session, _clock = make_client(password=None)
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    assert session.calls == []
    assert "sepm_username" in str(info.value) and "sepm_password" in str(info.value)


def test_login_reply_without_token_is_an_auth_error():
    client, _session, _clock = make_client(ok({"tokenExpiration": 3600}))
    with pytest.raises(SepmAuthError):
        client.client_version_stats()


def test_logs_in_again_when_token_expiration_has_passed():
    client, session, clock = make_client(
        auth_ok(TOKEN, expiration=3600), ok(STATS_REPLY), ok(STATS_REPLY), auth_ok(TOKEN_2), ok(STATS_REPLY))
    client.client_version_stats()
    clock.advance(1800)
    client.client_version_stats()
    assert len(session.logins) == 1
    clock.advance(1800)
    client.client_version_stats()
    assert len(session.logins) == 2
    # The client logged in again before the call, so the SEPM never had to refuse the old token.
    assert session.paths()[-2:] == ["POST identity/authenticate", "GET stats/client/version"]
    assert session.calls[-1].authorization == "Bearer %s" % TOKEN_2


def test_logout_sends_token_and_forgets_it():
    client, session, _clock = make_client(auth_ok(TOKEN), ok(STATS_REPLY), FakeResponse(204))
    client.client_version_stats()
    client.logout()
    assert session.paths()[-1] == "POST identity/logout"
    assert session.calls[-1].authorization == "Bearer %s" % TOKEN
    assert client.token is None


# -- retries and backoff ----------------------------------------------------------------


def test_429_waits_at_least_retry_after_seconds():
    client, session, clock = make_client(auth_ok(), error(429, headers={"Retry-After": "7"}), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert len(session.calls_to("stats/client/version")) == 2
    assert len(clock.sleeps) == 1
    assert 7 <= clock.sleeps[0] <= 8


def test_429_waits_at_least_retry_after_http_date():
    # An HTTP date is compared with the wall clock, so build it from the wall clock too.
    retry_at = email.utils.formatdate(time.time() + 30, usegmt=True)
    client, session, clock = make_client(auth_ok(), error(429, headers={"Retry-After": retry_at}), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert len(session.calls_to("stats/client/version")) == 2
    assert len(clock.sleeps) == 1
    # formatdate() drops the fraction of a second, so the wait is between 29 and 30 s (plus jitter).
    assert 28 <= clock.sleeps[0] <= 31


def test_429_on_a_command_is_retried_because_the_server_did_not_act():
    client, session, _clock = make_client(
        auth_ok(), error(429, headers={"Retry-After": "1"}), ok({"commandID_computer": "C0FFEE"}))
    reply = client.request("POST", "command-queue/restart", params={"computer_ids": "01ECF4E8"})
    assert reply == {"commandID_computer": "C0FFEE"}
    assert len(session.calls_to("command-queue/restart")) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_5xx_then_success_returns_the_data(status):
    client, session, clock = make_client(auth_ok(), error(status), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert len(session.calls_to("stats/client/version")) == 2
    assert len(clock.sleeps) == 1
    # Without Retry-After the first wait is at most base * 2**0 = 0.5 s.
    assert 0 <= clock.sleeps[0] <= 0.5


def test_500_is_not_retried():
    client, session, clock = make_client(auth_ok(), error(500, error_message="Internal error"), ok(STATS_REPLY))
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert info.value.status == 500
    assert len(session.calls_to("stats/client/version")) == 1
    assert clock.sleeps == []
    assert "HTTP 500" in str(info.value) and "Internal error" in str(info.value)


def test_502_on_a_command_is_not_retried():
    # A 502 may come after the SEPM acted on the command: sending it again could restart twice.
    client, session, _clock = make_client(auth_ok(), error(502), ok({"commandID_computer": "C0FFEE"}))
    with pytest.raises(SepmError) as info:
        client.request("POST", "command-queue/restart", params={"computer_ids": "01ECF4E8"})
    assert info.value.status == 502
    assert len(session.calls_to("command-queue/restart")) == 1


def test_connection_drop_on_get_is_retried():
    client, session, clock = make_client(
        auth_ok(), requests.exceptions.ConnectionError(CONNECTION_ABORTED), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert len(session.calls_to("stats/client/version")) == 2
    assert len(clock.sleeps) == 1


def test_read_timeout_on_get_is_retried():
    client, session, _clock = make_client(auth_ok(), requests.exceptions.ReadTimeout("read timed out"), ok(STATS_REPLY))
    assert client.client_version_stats() == STATS_REPLY
    assert len(session.calls_to("stats/client/version")) == 2


def test_connection_drop_after_sending_a_command_is_not_retried():
    client, session, clock = make_client(
        auth_ok(), requests.exceptions.ConnectionError(CONNECTION_ABORTED), ok({"commandID_computer": "C0FFEE"}))
    with pytest.raises(SepmConnectionError) as info:
        client.request("POST", "command-queue/restart", params={"computer_ids": "01ECF4E8"},
                       json_body={"prompt_type": "no_prompt", "schedule_type": "now"})
    assert len(session.calls_to("command-queue/restart")) == 1
    assert clock.sleeps == []
    assert "closed without a reply" in str(info.value)


def test_connection_refused_on_a_command_is_retried():
    client, session, _clock = make_client(
        auth_ok(), requests.exceptions.ConnectionError(CONNECTION_REFUSED), ok({"commandID_computer": "C0FFEE"}))
    reply = client.request("POST", "command-queue/restart", params={"computer_ids": "01ECF4E8"},
                           json_body={"prompt_type": "no_prompt", "schedule_type": "now"})
    assert reply == {"commandID_computer": "C0FFEE"}
    commands = session.calls_to("command-queue/restart")
    assert len(commands) == 2
    assert commands[1].params == {"computer_ids": "01ECF4E8"}
    assert commands[1].body == {"prompt_type": "no_prompt", "schedule_type": "now"}


def test_connect_timeout_on_a_command_is_retried():
    client, session, _clock = make_client(
        auth_ok(), requests.exceptions.ConnectTimeout("connect timed out"), ok({"commandID_computer": "C0FFEE"}))
    client.request("POST", "command-queue/restart", params={"computer_ids": "01ECF4E8"})
    assert len(session.calls_to("command-queue/restart")) == 2


def test_max_attempts_is_respected():
    script = [auth_ok()] + [error(503) for _attempt in range(10)]
    client, session, clock = make_client(*script, max_attempts=3, deadline=10000)
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert len(session.calls_to("stats/client/version")) == 3
    assert len(clock.sleeps) == 2
    assert info.value.status == 503
    assert "gave up after 3 attempts" in str(info.value)


def test_deadline_stops_retrying():
    # Each 503 asks for 4 s; with jitter of at most 0.5 s the third wait would end past 10 s.
    script = [auth_ok()] + [error(503, headers={"Retry-After": "4"}) for _attempt in range(10)]
    client, session, clock = make_client(*script, deadline=10, max_attempts=50)
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert "gave up" in message
    assert "10s deadline" in message
    assert "after 3 attempts" in message
    assert len(session.calls_to("stats/client/version")) == 3
    assert 8 <= clock.waited <= 10


def test_retry_after_beyond_the_deadline_gives_up_without_waiting():
    client, session, clock = make_client(auth_ok(), error(429, headers={"Retry-After": "600"}), ok(STATS_REPLY), deadline=60)
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert info.value.status == 429
    assert "gave up" in str(info.value) and "60s deadline" in str(info.value)
    assert clock.sleeps == []
    assert len(session.calls_to("stats/client/version")) == 1


# -- paging -------------------------------------------------------------------------------


def test_paging_walks_every_page_until_last_page():
    client, session, _clock = make_client(
        auth_ok(),
        page([{"id": 1}, {"id": 2}], number=0, last=False, total_pages=3),
        page([{"id": 3}, {"id": 4}], number=1, last=False, total_pages=3),
        page([{"id": 5}], number=2, last=True, total_pages=3),
    )
    records = list(client.paged("computers", {"computerName": "WIN-*"}))
    assert [record["id"] for record in records] == [1, 2, 3, 4, 5]
    pages = session.calls_to("computers")
    assert [call.params["pageIndex"] for call in pages] == ["1", "2", "3"]
    assert all(call.params["pageSize"] == "1000" for call in pages)
    assert all(call.params["computerName"] == "WIN-*" for call in pages)


def test_paging_uses_the_given_page_size():
    client, session, _clock = make_client(auth_ok(), page([{"id": 1}], last=True))
    list(client.paged("groups", page_size=25))
    assert session.calls_to("groups")[0].params == {"pageSize": "25", "pageIndex": "1"}


def test_paging_stops_on_empty_page_when_last_page_is_false():
    client, session, _clock = make_client(
        auth_ok(),
        page([{"id": 1}], number=0, last=False),
        page([], number=1, last=False),
        page([{"id": 99}], number=2, last=False),
    )
    assert [record["id"] for record in client.paged("computers")] == [1]
    assert len(session.calls_to("computers")) == 2


def test_paging_stops_on_empty_page_when_last_page_is_missing():
    client, session, _clock = make_client(auth_ok(), page([], last=None), page([{"id": 99}], last=None))
    assert not list(client.paged("computers"))
    assert len(session.calls_to("computers")) == 1


def test_paging_stops_at_total_pages_when_last_page_stays_false():
    client, session, _clock = make_client(
        auth_ok(),
        page([{"id": 1}], number=0, last=False, total_pages=2),
        page([{"id": 2}], number=1, last=False, total_pages=2),
        page([{"id": 3}], number=2, last=False, total_pages=2),
    )
    assert [record["id"] for record in client.paged("computers")] == [1, 2]
    assert len(session.calls_to("computers")) == 2


def test_computers_of_a_group_use_the_group_path_and_filters():
    client, session, _clock = make_client(auth_ok(), page([{"computerName": "WIN-N5KGH4CP3N3"}]))
    records = list(client.computers(group_id="E5E684A6092E5BB90F46E84BB6F35BBC", name="WIN-*", os=["Windows"]))
    assert records == [{"computerName": "WIN-N5KGH4CP3N3"}]
    call = session.calls[-1]
    assert call.path == "groups/E5E684A6092E5BB90F46E84BB6F35BBC/computers"
    assert call.params == {"computerName": "WIN-*", "os": "Windows", "pageSize": "1000", "pageIndex": "1"}


# -- groups -------------------------------------------------------------------------------


GROUPS = [
    {"id": "G1", "fullPathName": "My Company\\Servers\\Web"},
    {"id": "G2", "fullPathName": "My Company\\Servers"},
]


def test_group_by_path_matches_exactly_without_case():
    client, session, _clock = make_client(auth_ok(), page(GROUPS))
    group = client.group_by_path("my company\\SERVERS")
    assert group["id"] == "G2"
    assert session.calls_to("groups")[0].params["fullPathName"] == "my company\\SERVERS"


def test_group_by_path_raises_not_found_when_nothing_matches():
    client, _session, _clock = make_client(auth_ok(), page(GROUPS))
    with pytest.raises(SepmNotFoundError) as info:
        client.group_by_path("My Company\\Serv")
    assert info.value.status == 410
    assert "My Company" in str(info.value)


# -- errors and secrets ----------------------------------------------------------------


def test_410_is_not_found_with_the_error_envelope():
    client, session, _clock = make_client(
        auth_ok(), error(410, error_message="Fingerprint list with ID Blacklist2 do not exist"))
    with pytest.raises(SepmNotFoundError) as info:
        client.request("GET", "policy-objects/fingerprints", params={"name": "Blacklist2"})
    assert info.value.status == 410
    assert info.value.error_code == "410"
    assert info.value.error_message == "Fingerprint list with ID Blacklist2 do not exist"
    assert "GET policy-objects/fingerprints" in str(info.value)
    assert len(session.calls_to("policy-objects/fingerprints")) == 1


def test_error_envelope_is_carried_on_the_exception():
    client, _session, _clock = make_client(
        auth_ok(), error(400, error_code="400", error_message="The policy type argument is invalid."))
    with pytest.raises(SepmError) as info:
        client.request("GET", "policies/summary/nope")
    assert info.value.to_dict() == {
        "status": 400, "error_code": "400", "error_message": "The policy type argument is invalid.",
    }
    assert "The policy type argument is invalid." in str(info.value)


def test_403_names_the_account_that_is_needed():
    client, _session, _clock = make_client(auth_ok(), error(403, error_message="Forbidden"))
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    assert info.value.status == 403
    assert "system administrator" in str(info.value)


def test_wrong_password_names_the_options_without_secrets():
    client, session, _clock = make_client(error(401, error_message="Invalid username or password"))
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert "sepm_username" in message and "sepm_password" in message
    assert USERNAME in message
    assert_no_secret(message)
    assert_no_secret(repr(info.value))
    assert session.paths() == ["POST identity/authenticate"]


def test_error_body_echoing_password_and_token_is_scrubbed():
    echo = "bad request from %s with password %s and token %s" % (USERNAME, PASSWORD, TOKEN)
    client, _session, _clock = make_client(auth_ok(TOKEN), error(400, error_message=echo))
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert_no_secret(str(info.value))
    assert_no_secret(repr(info.value))
    assert_no_secret(str(info.value.to_dict()))
    assert "********" in str(info.value)


def test_plain_text_error_body_echoing_the_token_is_scrubbed():
    client, _session, _clock = make_client(
        auth_ok(TOKEN), FakeResponse(500, text="<html>session %s is broken</html>" % TOKEN))
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert_no_secret(str(info.value))
    assert info.value.status == 500


def test_login_error_echoing_the_password_is_scrubbed():
    client, _session, _clock = make_client(error(400, error_message="password %s is not valid" % PASSWORD))
    with pytest.raises(SepmAuthError) as info:
        client.client_version_stats()
    assert_no_secret(str(info.value))


def test_repr_holds_no_secret():
    client, _session, _clock = make_client(auth_ok(TOKEN), ok(STATS_REPLY))
    client.client_version_stats()
    assert client.token == TOKEN
    assert_no_secret(repr(client))
    assert_no_secret(str(client))
    assert HOST in repr(client)


def test_ssl_error_names_ca_path_and_validate_certs():
    ssl_error = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='sepm.example.test', port=8446): Max retries exceeded "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: self-signed certificate (_ssl.c:1006)')))")
    client, session, clock = make_client(ssl_error, ok(STATS_REPLY), password=None, token=TOKEN)
    with pytest.raises(SepmConnectionError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert "ca_path" in message and "validate_certs" in message
    assert "certificate verify failed" in message
    assert_no_secret(message)
    assert len(session.calls) == 1
    assert clock.sleeps == []


def test_unreachable_names_host_and_port_after_retrying():
    refused = [requests.exceptions.ConnectionError(CONNECTION_REFUSED) for _attempt in range(3)]
    client, session, _clock = make_client(*refused, max_attempts=3)
    with pytest.raises(SepmConnectionError) as info:
        client.version()
    message = str(info.value)
    assert "sepm_host" in message and "sepm_port" in message
    assert "https://%s:8446" % HOST in message
    assert "connection refused" in message
    assert "gave up after 3 attempts" in message
    assert len(session.calls) == 3


def test_unknown_host_names_sepm_host_and_is_not_retried():
    unknown = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='nowhere.example.test', port=8446): Max retries exceeded "
        "(Caused by NameResolutionError(\"Failed to resolve 'nowhere.example.test' ([Errno -2] Name or service not known)\"))")
    client, session, _clock = make_client(unknown, ok(VERSION_REPLY), host="nowhere.example.test")
    with pytest.raises(SepmConnectionError) as info:
        client.version()
    assert "sepm_host" in str(info.value)
    assert "nowhere.example.test" in str(info.value)
    assert len(session.calls) == 1


def test_no_content_reply_is_none():
    client, _session, _clock = make_client(auth_ok(), FakeResponse(204))
    assert client.request("DELETE", "groups/G1") is None


def test_reply_that_is_not_json_is_an_error():
    client, _session, _clock = make_client(auth_ok(), FakeResponse(200, text="<html>login page</html>"))
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    assert "not JSON" in str(info.value)


# -- backoff_delay properties -------------------------------------------------------------


@settings(database=None, max_examples=200)
@given(
    attempt=st.integers(min_value=1, max_value=60),
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.0, max_value=120.0),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_backoff_delay_is_within_the_exponential_ceiling(attempt, base, cap, draw):
    delay = backoff_delay(attempt, base=base, cap=cap, rng=lambda: draw)
    assert 0.0 <= delay <= min(cap, base * 2 ** (attempt - 1))


@settings(database=None, max_examples=200)
@given(
    attempt=st.integers(min_value=1, max_value=60),
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.0, max_value=120.0),
    retry_after=st.floats(min_value=0.0, max_value=3600.0),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_backoff_delay_honours_retry_after(attempt, base, cap, retry_after, draw):
    delay = backoff_delay(attempt, base=base, cap=cap, retry_after=retry_after, rng=lambda: draw)
    assert retry_after <= delay <= retry_after + min(1.0, base)


def test_backoff_delay_default_rng_stays_in_range():
    for attempt in range(1, 12):
        assert 0.0 <= backoff_delay(attempt) <= min(30.0, 0.5 * 2 ** (attempt - 1))


# -- closing ------------------------------------------------------------------------------


def test_close_logs_out_of_a_session_the_client_opened():
    client, session, _clock = make_client(auth_ok(), ok(STATS_REPLY), ok(status=204))
    client.client_version_stats()
    client.close()
    assert [call.path for call in session.calls] == ["identity/authenticate", "stats/client/version", "identity/logout"]
    client.close()
    assert len(session.calls) == 3


def test_close_keeps_a_token_it_was_given_or_handed_on():
    given, given_session, _clock = make_client(ok(STATS_REPLY), token=TOKEN)
    given.client_version_stats()
    given.close()
    assert [call.path for call in given_session.calls] == ["stats/client/version"]
    handed_on, handed_session, _clock = make_client(auth_ok())
    handed_on.login()
    handed_on.keep_session()
    handed_on.close()
    assert [call.path for call in handed_session.calls] == ["identity/authenticate"]


def test_a_failed_logout_does_not_fail_the_work():
    client, _session, _clock = make_client(auth_ok(), ok(STATS_REPLY), error(500, "500", "boom"))
    client.client_version_stats()
    client.close()


# -- messages a user acts on (issue 9) -------------------------------------------------


def test_password_echoed_across_the_cut_leaves_no_prefix():
    """The body is scrubbed before it is cut: a cut through the password would leave its first characters."""
    body = "x" * (200 - 5) + PASSWORD + " trailing"
    client, _session, _clock = make_client(auth_ok(TOKEN), FakeResponse(500, text=body))
    with pytest.raises(SepmError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert PASSWORD[:5] not in message
    assert_no_secret(message)


def test_timeout_on_a_command_says_it_may_have_run_and_how_to_check():
    client, session, _clock = make_client(auth_ok(TOKEN), requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(SepmConnectionError) as info:
        client.send_command("restart", computer_ids=["A" * 32])
    message = str(info.value)
    assert "may have" in message and "endpoint_ops.sepm.command_info" in message
    assert "sepm_port" not in message
    assert len(session.calls) == 2  # login and the command, which is not sent again


def test_timeout_on_a_read_still_names_host_and_port():
    timeouts = [requests.exceptions.ReadTimeout("read timed out") for _attempt in range(2)]
    client, _session, _clock = make_client(auth_ok(TOKEN), *timeouts, max_attempts=2)
    with pytest.raises(SepmConnectionError) as info:
        client.client_version_stats()
    assert "sepm_host" in str(info.value)


def test_hostname_mismatch_says_the_name_does_not_match_not_ca_path():
    mismatch = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='sepm.example.test', port=8446): Max retries exceeded (Caused by "
        "SSLError(SSLCertVerificationError(1, \"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "Hostname mismatch, certificate is not valid for 'sepm.example.test'. (_ssl.c:1006)\")))")
    client, _session, _clock = make_client(mismatch, password=None, token=TOKEN)
    with pytest.raises(SepmConnectionError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert "hostname mismatch" in message and "sepm_host" in message
    assert "set ca_path" not in message


def test_a_ca_bundle_that_is_not_pem_is_named_as_such():
    not_pem = requests.exceptions.SSLError("[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4149)")
    client, _session, _clock = make_client(not_pem, password=None, token=TOKEN)
    with pytest.raises(SepmConnectionError) as info:
        client.client_version_stats()
    message = str(info.value)
    assert "not a PEM CA bundle" in message and "ca_path" in message
    assert "X509" not in message


def test_an_unreadable_ca_bundle_is_a_connection_error_not_an_oserror():
    client, _session, _clock = make_client(OSError("Could not find a suitable TLS CA certificate bundle, invalid path: /x"),
                                           password=None, token=TOKEN)
    with pytest.raises(SepmConnectionError) as info:
        client.client_version_stats()
    assert "ca_path" in str(info.value)


@pytest.mark.parametrize("command_id", ["../version", "A/B", "x?y=1", "%2E%2E", ".. "])
def test_ids_are_escaped_as_one_path_segment(command_id):
    client, session, _clock = make_client(auth_ok(TOKEN), page([]))
    list(client.command_status(command_id))
    url = session.calls[1].url
    assert url.startswith("https://%s:8446/sepm/api/v1/command-queue/" % HOST)
    segment = url.split("command-queue/", 1)[1]
    assert "/" not in segment and "?" not in segment and segment.strip(".")


@pytest.mark.parametrize("command_id", ["..", ".", "..."])
def test_an_id_of_dots_alone_fails_in_one_line_before_any_request(command_id):
    # requests turns an escaped dot back into a dot, so no escaping keeps such a segment from climbing the path.
    client, session, _clock = make_client(auth_ok(TOKEN), page([]))
    with pytest.raises(SepmInputError) as info:
        list(client.command_status(command_id))
    assert "not a SEPM id" in str(info.value) and "\n" not in str(info.value)
    assert session.calls == []


def test_port_and_timeout_zero_are_kept_not_replaced_by_defaults():
    client, _session, _clock = make_client(port=0, timeout=0)
    assert client.port == 0 and client.timeout == 0


def test_a_new_group_without_description_sends_none():
    client, session, _clock = make_client(auth_ok(TOKEN), FakeResponse(201))
    client.create_group("A" * 32, "Lab")
    assert "description" not in session.calls[1].body


# -- request size: every list in a URL split so each request fits -----------------------------

COMPUTER_IDS = ["%032X" % number for number in range(1000)]
RESTART_BODY = {"prompt_type": "no_prompt", "schedule_type": "now", "message": "patch"}
SEPM_TOKEN = "5f2b" * 12  # the length of the emulator's tokens


def command_replies(count, key="commandID_computer"):
    return [ok({key: "%032X" % (0xC0FFEE00 + number)}) for number in range(count)]


def sent_ids(calls, parameter):
    return [item for call in calls for item in call.params[parameter].split(",")]


def test_a_command_for_1000_computers_takes_several_requests_each_within_the_limit():
    client, session, _clock = make_client(*command_replies(20), token=SEPM_TOKEN)
    command_ids = client.send_command("restart", computer_ids=COMPUTER_IDS, body=RESTART_BODY)
    sent = session.calls_to("command-queue/restart")
    assert 1 < len(sent) < 20
    assert all(call.head_bytes <= 8192 for call in sent)
    assert max(call.head_bytes for call in sent) > 8192 - 40  # full requests, not a cautious guess
    assert sent_ids(sent, "computer_ids") == COMPUTER_IDS
    assert all(call.body == RESTART_BODY for call in sent)
    assert command_ids == {"computers": ["%032X" % (0xC0FFEE00 + number) for number in range(len(sent))]}


def test_the_authorization_header_counts_too():
    counts = []
    for token in (SEPM_TOKEN, "t" * 3000):
        client, session, _clock = make_client(*command_replies(40), token=token)
        client.send_command("updatecontent", computer_ids=COMPUTER_IDS)
        sent = session.calls_to("command-queue/updatecontent")
        assert all(call.head_bytes <= 8192 for call in sent)
        assert sent_ids(sent, "computer_ids") == COMPUTER_IDS
        counts.append(len(sent))
    assert counts[1] > counts[0]


def test_max_request_bytes_sets_the_limit():
    client, session, _clock = make_client(*command_replies(40), token=SEPM_TOKEN, max_request_bytes=4096)
    client.send_command("updatecontent", computer_ids=COMPUTER_IDS)
    sent = session.calls_to("command-queue/updatecontent")
    assert all(4096 - 40 < call.head_bytes <= 4096 for call in sent[:-1]) and sent[-1].head_bytes <= 4096
    assert sent_ids(sent, "computer_ids") == COMPUTER_IDS


def test_computers_and_groups_go_in_requests_of_their_own():
    groups = ["%032X" % (0xA000 + number) for number in range(300)]
    client, session, _clock = make_client(*command_replies(1), *command_replies(5, "commandID_group"), token=SEPM_TOKEN)
    command_ids = client.send_command("updatecontent", computer_ids=COMPUTER_IDS[:10], group_ids=groups)
    sent = session.calls_to("command-queue/updatecontent")
    assert [sorted(call.params) for call in sent] == [["computer_ids"]] + [["group_ids"]] * (len(sent) - 1)
    assert sent_ids(sent[1:], "group_ids") == groups and all(call.head_bytes <= 8192 for call in sent)
    assert len(command_ids["computers"]) == 1 and len(command_ids["groups"]) == len(sent) - 1


def test_a_command_that_cannot_fit_even_for_one_computer_fails_before_anything_is_sent():
    client, session, _clock = make_client(token="t" * 1200, max_request_bytes=1024)
    with pytest.raises(SepmInputError) as info:
        client.send_command("restart", computer_ids=COMPUTER_IDS[:3], body=RESTART_BODY)
    message = str(info.value)
    assert "\n" not in message and "max_request_bytes (1024)" in message and COMPUTER_IDS[0] in message
    assert "t" * 1200 not in message
    assert session.calls == []


def test_any_request_over_the_limit_fails_in_one_line_without_being_sent():
    client, session, _clock = make_client(token=SEPM_TOKEN)
    with pytest.raises(SepmInputError) as info:
        list(client.computers(name="WS-" + "x" * 9000))
    assert "GET computers" in str(info.value) and "max_request_bytes (8192)" in str(info.value)
    assert session.calls == []


def test_a_long_os_filter_is_split_and_each_part_paged():
    systems = ["Win%03d%s" % (number, "x" * 200) for number in range(60)]
    records = [{"uniqueId": "%032X" % number} for number in range(3)]
    client, session, _clock = make_client(*[page(records) for _part in range(10)], token=SEPM_TOKEN)
    found = list(client.computers(os=systems))
    calls = session.calls_to("computers")
    assert 1 < len(calls) < 10 and all(call.head_bytes <= 8192 for call in calls)
    assert [system for call in calls for system in call.query["os"]] == systems
    assert len(found) == 3 * len(calls)


def test_a_failed_request_names_the_commands_it_had_queued():
    client, _session, _clock = make_client(ok({"commandID_computer": "C0FFEE01"}), error(500, error_message="boom"),
                                           token=SEPM_TOKEN)
    with pytest.raises(SepmError) as info:
        client.send_command("restart", computer_ids=COMPUTER_IDS, body=RESTART_BODY)
    message = str(info.value)
    assert "HTTP 500" in message and "C0FFEE01" in message and "1 of its" in message
    assert "endpoint_ops.sepm.command_info" in message


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32), max_size=1500),
       groups=st.lists(st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32), max_size=300),
       token=st.text(alphabet="0123456789abcdef-", min_size=8, max_size=400),
       limit=st.integers(1024, 20000))
def test_every_command_request_fits_and_carries_each_target_once_in_order(ids, groups, token, limit):
    client, session, _clock = make_client(*command_replies(800), token=token, max_request_bytes=limit)
    client.send_command("restart", computer_ids=ids, group_ids=groups, body=RESTART_BODY)
    sent = session.calls_to("command-queue/restart")
    assert all(call.head_bytes <= limit for call in sent)
    for parameter, targets in (("computer_ids", ids), ("group_ids", groups)):
        calls = [call for call in sent if parameter in call.params]
        assert sent_ids(calls, parameter) == targets
        # As full as the limit allows: one target more, prepared in full, would not have fitted.
        for call, following in zip(calls, calls[1:]):
            one_more = {parameter: "%s,%s" % (call.params[parameter], following.params[parameter].split(",")[0])}
            assert client.request_head_bytes("POST", "command-queue/restart", one_more, RESTART_BODY) > limit


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32), max_size=400),
       systems=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=40),
       token=st.text(alphabet="0123456789abcdef-", min_size=8, max_size=400), data=st.data())
def test_the_split_measure_is_the_head_of_the_request_as_prepared(ids, systems, token, data):
    """split_for_url's cheap measure says what request_head_bytes (the prepared request's real head) says, chunk by chunk."""
    client, _session, _clock = make_client(token=token)
    cases = (
        ("POST", "command-queue/restart", RESTART_BODY, ids, lambda chunk: {"computer_ids": ",".join(chunk)}),
        ("GET", "groups/E5E684A6092E5BB90F46E84BB6F35BBC/computers", None, systems,
         lambda chunk: {"computerName": "WIN-*", "os": list(chunk), "pageSize": 1000, "pageIndex": 99999}),
    )
    for method, path, body, items, params_for in cases:
        head_of = client.head_measure(method, path, body)
        start = data.draw(st.integers(0, len(items)))
        chunk = items[start:data.draw(st.integers(start, len(items)))]
        assert head_of(params_for(chunk)) == client.request_head_bytes(method, path, params_for(chunk), body)
