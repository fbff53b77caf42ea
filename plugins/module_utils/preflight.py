# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The preflight: a few harmless reads of a SEPM, judged by ``preflight_rules``, and their shapes.

Only reads the vendor reference lists (and the login and logout): nothing here changes the
SEPM. Every reply read is kept as its shape (``shapes.py``) under the reference's template
of the call (``GET policies/lu/{id}``, never the id), so the bundle it writes tells how this
SEPM answers without holding a value it sent.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import time
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.endpoint_ops.sepm.plugins.module_utils import preflight_rules as rules
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import (
    DEFAULT_PAGE_SIZE, HAS_REQUESTS, SepmAuthError, SepmClient, SepmConnectionError, SepmError, SepmNotFoundError,
    SepmTlsError,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.computers import ROLLOUT_RECORD_FIELDS
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import UNVERIFIED_WARNING, client_kwargs
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.groups import normalize_path
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import find_policy
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.request_size import DEFAULT_MAX_REQUEST_BYTES
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._rollout.planning import newest_patch
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.shapes import merge, shape_of, text_shape
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import fetch_records
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of

if HAS_REQUESTS:
    import requests

BUNDLE_KIND = "endpoint_ops.sepm preflight shape bundle"
BUNDLE_FORMAT = 1
# A command id no SEPM can have issued: its status read is harmless, and tells 410 (readable) from 403.
NO_SUCH_COMMAND = "0" * 32
# Inventory hosts looked up by name, one request each (targets.fetch_records looks up up to 10 singly).
TARGET_SAMPLE = 10
# The harmless long query of the request-size probe (GET version ignores what it does not know).
PROBE_PARAMETER = "preflight_probe"
# Statuses of a head the server would not read: Tomcat's 400, and what other servers and proxies answer.
HEAD_REFUSED = frozenset((400, 413, 414, 431))
# A restart command as the rollout sends it, for how many computer ids one request carries.
RESTART_BODY = {"prompt_type": "no_prompt", "schedule_type": "now",
                "message": "Symantec Endpoint Protection client patch - restarting within the maintenance window"}

# The module's own options (beside the connection options); its documentation is plugins/modules/preflight.py.
PREFLIGHT_OPTIONS = {
    "groups": {"type": "list", "elements": "str", "default": []},
    "targets": {"type": "str", "default": ""},
    "allowing_policies": {"type": "list", "elements": "str", "default": ["LiveUpdate - Client Patches Allowed"]},
    "denying_policies": {"type": "list", "elements": "str", "default": ["LiveUpdate - Client Patches Denied"]},
    "target_version": {"type": "str", "default": ""},
    "clock": {"type": "str", "choices": ["sepm", "controller"], "default": "sepm"},
    "bundle_dir": {"type": "path"},
}


class ReplyRecorder:
    """The shape of every reply the client receives, by the reference template of the read in progress."""

    def __init__(self):
        self.reads = {}
        self._template = None

    @contextlib.contextmanager
    def reading(self, method, template):
        """Replies until the block ends are ``method template``'s (paged reads are merged)."""
        previous, self._template = self._template, (method, template)
        try:
            yield
        finally:
            self._template = previous

    def note(self, method, params, status, body_shape):
        labelled_method, template = self._template or (method, "(unlabelled)")
        key = (labelled_method, template, status)
        query = sorted(str(name) for name in (params or {}))
        entry = self.reads.get(key)
        if entry is None:
            self.reads[key] = {"method": labelled_method, "template": template, "status": status, "query": query,
                               "count": 1, "shape": body_shape}
            return
        entry["count"] += 1
        entry["query"] = sorted(set(entry["query"]) | set(query))
        entry["shape"] = merge(entry["shape"], body_shape)

    def bundle_reads(self):
        return [self.reads[key] for key in sorted(self.reads, key=lambda key: (key[1], key[0], key[2]))]


def reply_shape(response):
    """The shape of a requests response's body: its JSON's, or what kind of text it is, or empty."""
    if not response.content:
        return {"type": "empty"}
    try:
        return shape_of(response.json())
    except ValueError:
        return text_shape(response.headers.get("Content-Type"))


if HAS_REQUESTS:
    class RecordingSession(requests.Session):
        """A requests session that hands the shape of each reply to a ReplyRecorder (and nothing else)."""

        def __init__(self, recorder):
            super().__init__()
            self.recorder = recorder

        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            names = dict.fromkeys(name for name, _value in parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
            self.recorder.note(request.method, names, response.status_code, reply_shape(response))
            return response


class Settings:
    """What the preflight checks, from the module's options (the role hands it the rollout's variables)."""

    def __init__(self, params, inventory_hosts=None):
        self.username = params.get("sepm_username")
        self.token_given = bool(params.get("sepm_token")) and not params.get("sepm_password")
        self.validate_certs = params.get("validate_certs", True)
        self.ca_path = params.get("ca_path")
        self.groups = [normalize_path(path) for path in params.get("groups") or []]
        self.targets = params.get("targets") or ""
        self.target_names = [str(host.get("sepm_name") or host.get("host")) for host in inventory_hosts or []]
        self.allowing = _names("allowing_policies", params.get("allowing_policies"))
        self.denying = _names("denying_policies", params.get("denying_policies"))
        self.target_version = params.get("target_version") or ""
        self.clock = params.get("clock") or "sepm"
        self.max_request_bytes = params.get("max_request_bytes") or DEFAULT_MAX_REQUEST_BYTES


def _names(option, names):
    """Policy names, each once (without case), none empty."""
    kept = []
    for name in names or []:
        text = str(name or "").strip()
        if not text:
            raise SepmInputError("%s: a policy name must not be empty" % option)
        if text.lower() not in [known.lower() for known in kept]:
            kept.append(text)
    return kept


class Preflight:
    """Runs the checks in order; a check that cannot run (no login, no rights) is skipped with the reason."""

    def __init__(self, client, recorder, settings, probe=None, now=time.time):
        self.client = client
        self.probe = probe
        self.recorder = recorder
        self.settings = settings
        self.now = now
        self.verdicts = []
        self.logged_in = False
        self.rights_failed = False
        self.sepm_version = None

    def add(self, verdict):
        self.verdicts.append(verdict)
        return verdict

    def read(self, method, template, call, *args, **kwargs):
        with self.recorder.reading(method, template):
            return call(*args, **kwargs)

    def run(self):
        skew = self.check_transport()
        if skew is None:
            return self.verdicts
        token = self.check_login()
        self.add(rules.version_verdict(self.sepm_version))
        if token is not None:
            self.check_rights(token)
            self.check_fleet()
        self.add(rules.clock_verdict(skew, self.settings.clock))
        if self.probe is not None:
            self.check_request_limit(token is not None)
        done = {verdict.check for verdict in self.verdicts}
        why = "no session (see the login line)" if token is None else "the computer listing failed (see its line)"
        for check in rules.CHECKS:
            if check not in done:
                self.add(rules.skipped(check, why))
        self.verdicts.sort(key=lambda verdict: list(rules.CHECKS).index(verdict.check))
        return self.verdicts

    def close(self):
        if self.logged_in:
            with self.recorder.reading("POST", "identity/logout"):
                self.client.close()

    # ----- reachable, TLS, clock: GET version needs no login -------------------------------------------
    def check_transport(self):
        """``GET version``: reachable, TLS and the SEPM's version; returns the clock skew, or None when it failed."""
        origin = "https://%s:%d" % (self.client.host, self.client.port)
        try:
            before = self.now()
            started = time.monotonic()
            reply = self.read("GET", "version", self.client.version) or {}
            elapsed = time.monotonic() - started
            after = self.now()
        except SepmTlsError as exc:
            self.add(rules.Verdict("reachable", rules.OK, "%s answered, but TLS failed (see the TLS line)" % origin))
            self.add(rules.tls_failed_verdict(str(exc)))
            self._skip_all_after("tls", "TLS failed (see the TLS line)")
            return None
        except SepmError as exc:
            self.add(rules.unreachable_verdict(str(exc)))
            self._skip_all_after("reachable", "the SEPM did not answer GET version (see the reachable line)")
            return None
        self.sepm_version = reply.get("version")
        self.add(rules.reachable_verdict(origin, elapsed))
        self.add(rules.tls_verdict(self.settings.validate_certs, self.settings.ca_path, UNVERIFIED_WARNING))
        server = self.client.server_time()
        if server is None:
            return 0.0
        # The Date header is cut to the second: its middle is half a second later.
        return server.timestamp() + 0.5 - (before + after) / 2.0

    def _skip_all_after(self, check, why):
        names = list(rules.CHECKS)
        for later in names[names.index(check) + 1:]:
            self.add(rules.skipped(later, why))

    # ----- login and rights -------------------------------------------------------------------------------
    def check_login(self):
        """The token's role and permission set (the login reply, or GET sessions/currentuser for a given token)."""
        if self.settings.token_given:
            try:
                token = self.read("GET", "sessions/currentuser", self.client.request, "GET", "sessions/currentuser")
            except SepmAuthError as exc:
                self.add(rules.login_failed_verdict(str(exc)))
                return None
            except SepmError as exc:
                self.add(rules.login_verdict(self.settings.username, True))
                return {"unreadable": str(exc)}
            self.add(rules.login_verdict(self.settings.username, True))
            return token or {}
        try:
            token = self.read("POST", "identity/authenticate", self.client.login)
        except SepmError as exc:
            self.add(rules.login_failed_verdict(str(exc)))
            return None
        self.logged_in = True
        self.add(rules.login_verdict(self.settings.username, False))
        return token or {}

    def check_rights(self, token):
        if "unreadable" in token:
            self.add(rules.Verdict("rights", rules.WARN, "cannot read the session's role (%s): make sure the account is "
                                                         "a system administrator" % token["unreadable"], "unreadable"))
            return
        verdict = self.add(rules.rights_verdict(token.get("username") or self.settings.username, token))
        self.rights_failed = verdict.level == rules.FAIL

    # ----- what the rollout reads ---------------------------------------------------------------------------
    def checked(self, check, what, work):
        """``work()``'s verdicts, or one verdict for the SEPM error it met."""
        try:
            for verdict in work():
                self.add(verdict)
        except SepmAuthError as exc:
            if exc.status == 403:
                self.add(rules.forbidden_verdict(check, what, self.rights_failed))
            else:
                self.add(rules.Verdict(check, rules.FAIL, str(exc), "refused"))
        except SepmError as exc:
            self.add(rules.Verdict(check, rules.FAIL, str(exc), "error"))

    def check_fleet(self):
        release = release_of(self.sepm_version)
        stats = {}

        def releases():
            stats.update(self.read("GET", "stats/client/version", self.client.client_version_stats) or {})
            return [rules.client_releases_verdict(self.sepm_version, stats)]

        def patches():
            newest = self.read("GET", "events/critical", newest_patch, self.client, release)
            return [rules.client_patches_verdict(release, newest, self.settings.target_version,
                                                 rules.patch_clients(stats, release))]

        self.checked("client_releases", "GET stats/client/version", releases)
        self.checked("client_patches", "GET events/critical", patches)
        self.check_policies()
        self.checked("groups", "GET groups", self.groups)
        self.checked("targets", "GET computers", self.targets)
        self.checked("computer_fields", "GET computers", self.computer_page)
        self.checked("command_queue", "GET command-queue/{command_id}", self.command_queue)

    def check_policies(self):
        summaries = []
        try:
            summaries = self.read("GET", "policies/summary/{policy_type}", self.client.policy_summaries, "lu")
        except SepmError:
            pass  # each policy's check below meets the same error and says so
        for allowing, names in ((True, self.settings.allowing), (False, self.settings.denying)):
            check = "allowing_policy" if allowing else "denying_policy"
            for name in names:
                self.checked(check, "GET policies/summary/lu", lambda allowing=allowing, name=name: [
                    self.lu_policy(allowing, name, summaries)])

    def lu_policy(self, allowing, name, summaries):
        if not summaries:
            summaries[:] = self.read("GET", "policies/summary/{policy_type}", self.client.policy_summaries, "lu")
        try:
            summary = find_policy(summaries, name, "lu")
        except SepmInputError:
            return rules.lu_policy_verdict(allowing, name, False, None)
        policy = self.read("GET", "policies/lu/{id}", self.client.lu_policy, summary["id"])
        return rules.lu_policy_verdict(allowing, name, True, policy)

    def groups(self):
        missing = [path for path in self.settings.groups if self.read("GET", "groups", self.client.find_group, path) is None]
        return [rules.groups_verdict(self.settings.groups, missing, bool(self.settings.targets))]

    def targets(self):
        sample = self.settings.target_names[:TARGET_SAMPLE]
        known = set()
        if sample:
            records = self.read("GET", "computers", lambda: list(fetch_records(self.client, names=sample)))
            known = {str(record.get("computerName") or "").lower() for record in records}
        not_found = [name for name in sample if name.lower() not in known]
        return [rules.targets_verdict(self.settings.targets, len(self.settings.target_names), len(sample), not_found)]

    def computer_page(self):
        """One page of computers: the fields the rollout reads, and the page size the SEPM honours."""
        page = self.read("GET", "computers", self.client.request, "GET", "computers",
                         params={"pageSize": DEFAULT_PAGE_SIZE, "pageIndex": 1}) or {}
        records = [record for record in page.get("content") or [] if isinstance(record, dict)]
        return [rules.computer_fields_verdict(records, ROLLOUT_RECORD_FIELDS),
                rules.page_size_verdict(DEFAULT_PAGE_SIZE, page.get("size"))]

    def check_request_limit(self, in_session):
        """The largest request head the server takes, by GET version with a long query, against max_request_bytes."""
        base = self.probe.request_head_bytes("GET", "version", params={PROBE_PARAMETER: ""}, authenticate=False)

        def accepts(size):
            try:
                self.read("GET", "version", self.probe.version, {PROBE_PARAMETER: "a" * max(0, size - base)})
            except SepmConnectionError:
                return False  # a server (or proxy) may close the connection on a head it will not read
            except SepmError as exc:
                if exc.status in HEAD_REFUSED:
                    return False
                raise
            return True

        try:
            accepted, fits = rules.find_request_limit(accepts, self.settings.max_request_bytes)
        except SepmError as exc:
            self.add(rules.Verdict("request_limit", rules.FAIL, str(exc), "error"))
            return
        ids = None
        if in_session:
            chunks = self.client.split_for_url("POST", "command-queue/restart", [NO_SUCH_COMMAND] * 2000,
                                               lambda chunk: {"computer_ids": ",".join(chunk)}, json_body=RESTART_BODY)
            ids = len(chunks[0]) if chunks else None
        self.add(rules.request_limit_verdict(accepted, fits, self.settings.max_request_bytes, ids))

    def command_queue(self):
        try:
            self.read("GET", "command-queue/{command_id}", self.client.request, "GET", "command-queue/" + NO_SUCH_COMMAND)
        except SepmNotFoundError:
            return [rules.command_queue_verdict(410)]
        except SepmAuthError as exc:
            if exc.status == 403:
                return [rules.command_queue_verdict(403)]
            raise
        return [rules.command_queue_verdict(200)]


def probe_client(params, recorder):
    """A client for the request-size probe only: no credentials (GET version needs none), one attempt per read,
    and room for heads up to the probe's largest, beyond max_request_bytes (the limit it measures)."""
    options = client_kwargs(params)
    options.update({"username": None, "password": None, "token": None, "max_request_bytes": rules.PROBE_HIGH})
    return SepmClient(session=RecordingSession(recorder), max_attempts=1, **options)


def run(client, recorder, settings, probe=None):
    """The verdicts of every check, in order; the session is closed at the end."""
    preflight = Preflight(client, recorder, settings, probe)
    try:
        verdicts = preflight.run()
    finally:
        try:
            preflight.close()
        except SepmError:
            pass  # the token expires on its own; a failed logout changes no verdict
    return verdicts


# ----- the bundle --------------------------------------------------------------------------------------
def bundle(verdicts, recorder, created):
    counts, line = rules.summary(verdicts)
    return {
        "kind": BUNDLE_KIND,
        "format": BUNDLE_FORMAT,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": counts,
        "verdicts": [verdict.bundle_entry() for verdict in verdicts],
        "reads": recorder.bundle_reads(),
        "note": line.split(":", 1)[0],
    }


def bundle_name(host, created):
    safe_host = re.sub(r"[^A-Za-z0-9.-]+", "_", str(host)).strip("._") or "sepm"
    return "preflight-%s-%s.json" % (safe_host, created.strftime("%Y%m%dT%H%M%SZ"))


def write_bundle(directory, host, content, created):
    """Write the bundle as ``preflight-<host>-<UTC time>.json`` (mode 0600, never over another file); returns its path."""
    if not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o755)
        except OSError as exc:
            raise SepmInputError("bundle_dir: cannot create %s (%s)" % (directory, exc.strerror or exc)) from None
    base = os.path.join(directory, bundle_name(host, created))
    path, number = base, 1
    while True:
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            number += 1
            path = "%s-%d.json" % (base[:-len(".json")], number)
        except OSError as exc:
            raise SepmInputError("bundle_dir: cannot write %s (%s)" % (path, exc.strerror or exc)) from None
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(content, stream, indent=1, sort_keys=True)
        stream.write("\n")
    return path


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)
