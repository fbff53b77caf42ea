"""Fixtures for tests that run against the SEPM emulator over HTTPS."""

import glob
import json
import os
import re
import socket
import sys

import jsonschema
import pytest
import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tests.emulator.harness import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

API = "/sepm/api/v1/"
REPORT_SCHEMA = os.path.join(REPO_ROOT, "docs", "rollout-report.schema.json")
# The name the rollout gives its reports; tests hand-write older ones as input for the forecast.
REPORT_NAME = re.compile(r"^rollout-\d{8}T\d{6}Z\.json$")


@pytest.fixture(autouse=True)
def reports_follow_their_schema(request):
    """Every rollout report a test writes (under its tmp_path) holds to docs/rollout-report.schema.json."""
    # Asked for before the test, so tmp_path outlives this fixture's check.
    folder = str(request.getfixturevalue("tmp_path")) if "tmp_path" in request.fixturenames else None
    yield
    if folder is None:
        return
    with open(REPORT_SCHEMA, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    for path in glob.glob(os.path.join(folder, "**", "rollout-*.json"), recursive=True):
        if not REPORT_NAME.match(os.path.basename(path)):
            continue
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
        problems = ["%s: %s" % ("/".join(str(part) for part in error.absolute_path), error.message)
                    for error in validator.iter_errors(report)]
        assert not problems, "%s does not follow %s: %s" % (path, REPORT_SCHEMA, "; ".join(problems[:5]))


class SepmApi:
    """Raw HTTP access to the emulator's SEPM API, the way a client would call it."""

    def __init__(self, process, username="admin"):
        self.emulator = process
        self.session = requests.Session()
        self.session.verify = process.ca_path
        self.username = username
        self.token = None

    def login(self):
        reply = self.call("POST", "identity/authenticate",
                          json={"username": self.username, "password": self.emulator.password, "domain": ""})
        assert reply.status_code == 200, reply.text
        self.token = reply.json()["token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        return reply.json()

    def call(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        # Per request: REQUESTS_CA_BUNDLE in the environment would override session.verify.
        kwargs.setdefault("verify", self.emulator.ca_path)
        return self.session.request(method, self.emulator.url + API + path, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def ok(self, method, path, **kwargs):
        """The parsed reply of a call that must succeed."""
        reply = self.call(method, path, **kwargs)
        assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    def group_id(self, full_path):
        content = self.ok("GET", "groups", params={"fullPathName": full_path})["content"]
        assert len(content) == 1, full_path
        return content[0]["id"]

    def computer(self, name):
        content = self.ok("GET", "computers", params={"computerName": name})["content"]
        assert len(content) == 1, name
        return content[0]

    def policy_id(self, ptype, name):
        summary = self.ok("GET", f"policies/summary/{ptype}")["content"]
        return next(p["id"] for p in summary if p["name"] == name)


@pytest.fixture(name="emulator", scope="session")
def emulator_fixture():
    with EmulatorProcess(fleet=200, seed=1, time_scale=60) as process:
        yield process


@pytest.fixture(name="clean_emulator")
def clean_emulator_fixture(emulator):
    emulator.reset()
    emulator.control("POST", "clock", {"time_scale": 60})
    emulator.control("POST", "settings", {"token_lifetime_s": 3600, "throttle": None, "heartbeat_s": 60, "download_s": 120,
                                          "install_s": 60, "restart_s": 180, "max_page_size": 1000,
                                          "max_header_bytes": 8192, "sepm_version": "14.3.25029.9000"})
    return emulator


@pytest.fixture(name="api")
def api_fixture(clean_emulator):
    client = SepmApi(clean_emulator)
    client.login()
    return client


@pytest.fixture
def make_api(clean_emulator):
    """Build more logged-out SepmApi clients (another user, a second session)."""
    return lambda username="admin": SepmApi(clean_emulator, username)


@pytest.fixture
def frozen(api):
    """An `api` whose simulated clock stands still: only /_emulator/clock moves it."""
    api.emulator.control("POST", "clock", {"time_scale": 0})
    return api


@pytest.fixture
def runner(emulator, tmp_path):  # pylint: disable=redefined-outer-name
    """ansible-playbook with the collection installed and the connection in SEPM_* variables."""
    from tests.integration.ansible_runner import PlaybookRunner  # pylint: disable=import-outside-toplevel
    return PlaybookRunner(emulator, tmp_path)


@pytest.fixture
def free_port():
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
