# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The preflight's verdicts: what each read of a SEPM means for a rollout, and what to do. Pure Python.

Each check ends in one ``Verdict``: ``ok``, ``warn`` (the rollout runs, but look), ``fail``
(the rollout would fail or do harm: the preflight run fails) or ``skip`` (not checked,
because an earlier check failed: the login, the rights). ``preflight.py`` does the reads;
these functions only judge what came back, so every message is unit-tested.
"""

from __future__ import annotations

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.patches import CONSOLE_STEPS, client_versions
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.permissions import CONSOLE_PATH
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.policies import lu_patch_settings
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import patch_level, release_of, version_key

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
LEVELS = (OK, WARN, FAIL, SKIP)

# check id -> the words a verdict line starts with, in the order the checks run.
CHECKS = {
    "reachable": "reachable",
    "tls": "TLS",
    "login": "login",
    "rights": "rights",
    "version": "SEPM version",
    "client_releases": "client releases",
    "client_patches": "client patches",
    "allowing_policy": "allowing policy",
    "denying_policy": "denying policy",
    "groups": "groups",
    "targets": "targets",
    "computer_fields": "computer fields",
    "command_queue": "command queue",
    "clock": "clock",
    "request_limit": "request size",
    "page_size": "page size",
}

# Client patches arrive through LiveUpdate from SEP 14.3 RU2 on (vendor KB; sepm-api-notes.md).
FIRST_PATCH_RELEASE = (14, 3, 2)
# role.bitMask of the login reply (Identity.json UserRole).
ROLES = {8: "system administrator", 4: "domain administrator", 2: "limited administrator"}
SYSTEM_ADMINISTRATOR = 8
# permissionSet flags (UserPermission) the rollout needs, and what it does with each.
ROLLOUT_RIGHTS = (
    ("groupRights", "groups (its staging groups, moves, restart settings)"),
    ("policyRights", "policies (the allowing LiveUpdate policy on staging groups)"),
    ("remoteCommandRights", "remote commands (updatecontent, restart)"),
)
ALLOWING_VARIABLES = "rollout_allow_policy or patch_policy_allowing_policy"
DENYING_VARIABLES = "patch_policy_denying_policy"
# A clock further off than this changes when a window opens by more than a heartbeat.
CLOCK_TOLERANCE_S = 60


class Verdict:
    """One check's outcome: a level, a line for the user, and a code plus numbers for the shape bundle.

    ``message`` may name groups, policies and versions, so only ``code`` and ``facts``
    (numbers the check measured) go into the bundle.
    """

    def __init__(self, check, level, message, code="", facts=None):
        if check not in CHECKS or level not in LEVELS:
            raise ValueError("unknown check %r or level %r" % (check, level))
        self.check = check
        self.level = level
        self.message = message
        self.code = code or level
        self.facts = dict(facts or {})

    @property
    def line(self):
        return "%-4s %s: %s" % (self.level, CHECKS[self.check], self.message)

    def to_dict(self):
        return {"check": self.check, "level": self.level, "message": self.message, "code": self.code,
                "line": self.line}

    def bundle_entry(self):
        """What the shape bundle keeps: no message, only numbers."""
        facts = {key: value for key, value in self.facts.items()
                 if isinstance(value, (int, float)) and not isinstance(value, bool)}
        return {"check": self.check, "level": self.level, "code": self.code, "facts": facts}

    def __repr__(self):
        return "Verdict(%r)" % self.line


def summary(verdicts):
    """``{level: count}`` and the one line a run ends on."""
    counts = {level: sum(1 for verdict in verdicts if verdict.level == level) for level in LEVELS}
    if counts[FAIL]:
        line = "preflight failed: %d check(s) fail, %d warn: fix the fail lines before the first rollout" % (
            counts[FAIL], counts[WARN])
    elif counts[WARN]:
        line = "preflight passed with %d warning(s): read the warn lines before the first rollout" % counts[WARN]
    else:
        line = "preflight passed: every check ok"
    return counts, line


def skipped(check, why):
    return Verdict(check, SKIP, "not checked: %s" % why, "not_checked")


# ----- transport and login -----------------------------------------------------------------------
def reachable_verdict(origin, seconds):
    return Verdict("reachable", OK, "%s answered GET version in %.2f s" % (origin, seconds), facts={"seconds": seconds})


def unreachable_verdict(error_text):
    return Verdict("reachable", FAIL, error_text, "unreachable")


def tls_verdict(validate_certs, ca_path, unverified_warning):
    """``unverified_warning``: the one warning every module gives when validate_certs is off (connection.py)."""
    if not validate_certs:
        return Verdict("tls", WARN, unverified_warning, "not_verified")
    return Verdict("tls", OK, "the SEPM's certificate is verified (by %s)" % (
        "ca_path %s" % ca_path if ca_path else "the controller's trusted CAs"))


def tls_failed_verdict(error_text):
    return Verdict("tls", FAIL, error_text, "untrusted")


def login_verdict(username, token_given):
    if token_given:
        return Verdict("login", OK, "a session token was given (sepm_token), so the login itself was not tried",
                       "token_given")
    return Verdict("login", OK, "%r logged in" % username)


def login_failed_verdict(error_text):
    return Verdict("login", FAIL, error_text, "rejected")


def rights_verdict(username, token):
    """The role and permission set of a login reply (or of ``GET sessions/currentuser``) against what the rollout does."""
    role = (token or {}).get("role") or {}
    bitmask = role.get("bitMask")
    rights = (token or {}).get("permissionSet") or {}
    missing = [what for key, what in ROLLOUT_RIGHTS if rights.get(key) is not True]
    role_name = ROLES.get(bitmask, "an administrator with role bitMask %r" % (bitmask,))
    if bitmask == SYSTEM_ADMINISTRATOR and not missing:
        return Verdict("rights", OK, "%r is a system administrator with the group, policy and remote command rights the "
                                     "rollout uses" % username)
    problems = []
    if bitmask != SYSTEM_ADMINISTRATOR:
        problems.append("is a %s (role bitMask %s), but the rollout's commands and their status need a system "
                        "administrator" % (role_name, bitmask))
    if missing:
        problems.append("lacks the rights for %s" % "; ".join(missing))
    return Verdict("rights", FAIL, "%r %s: run the rollout as a system administrator (sepm_username), or give this "
                                   "account that role in the SEPM console (Admin > Administrators)" % (
                                       username, " and ".join(problems)),
                   "not_system_administrator" if bitmask != SYSTEM_ADMINISTRATOR else "missing_rights",
                   facts={"missing_rights": len(missing)})


def forbidden_verdict(check, what, rights_failed):
    """A 403 inside a check: one more sign of the rights already failed, or a right missing for this call alone."""
    if rights_failed:
        return skipped(check, "the account may not call %s (HTTP 403; see the rights line)" % what)
    return Verdict(check, FAIL, "the account may not call %s (HTTP 403): the rollout needs it; use a system "
                                "administrator account" % what, "forbidden")


# ----- versions and patches ---------------------------------------------------------------------
def version_verdict(version):
    parts = version_key(version)
    if len(parts) < 4:
        return Verdict("version", WARN, "the SEPM answered version %r, not a SEP version such as 14.3.25029.9000: the "
                                        "rollout compares client releases with it" % (version,), "unknown_version")
    release = release_of(version)
    if (parts[0], parts[1], parts[3] // 1000) < FIRST_PATCH_RELEASE:
        return Verdict("version", FAIL, "SEPM %s (%s): client patches arrive through LiveUpdate from 14.3 RU2 on; "
                                        "upgrade the SEPM before a rollout" % (version, release), "too_old")
    return Verdict("version", OK, "SEPM %s, release %s: clients take its patches only in %s" % (version, release, release))


def releases_of_clients(stats):
    """``{release: count}`` of ``stats/client/version``, newest release first."""
    counts = {}
    for version, count in client_versions(stats).items():
        release = release_of(version) or "unknown"
        counts[release] = counts.get(release, 0) + count
    return dict(sorted(counts.items(), key=lambda item: version_key(item[0]), reverse=True))


def client_releases_verdict(sepm_version, stats):
    releases = releases_of_clients(stats)
    total = sum(releases.values())
    sepm_release = release_of(sepm_version)
    same = releases.get(sepm_release, 0)
    listed = ", ".join("%s %d" % item for item in releases.items())
    facts = {"clients": total, "in_sepm_release": same}
    if not total:
        return Verdict("client_releases", WARN, "the SEPM counts no clients (GET stats/client/version): nothing to patch",
                       "no_clients", facts)
    if not same:
        return Verdict("client_releases", WARN, "%d clients (%s), none in %s, the SEPM's release: clients take patches from "
                                                "the SEPM only in its own release, so the rollout would skip every one; "
                                                "upgrade them to %s first" % (total, listed, sepm_release, sepm_release),
                       "none_in_release", facts)
    others = total - same
    return Verdict("client_releases", OK, "%d clients (%s): %d in %s can take its patches%s" % (
        total, listed, same, sepm_release,
        "; the rollout skips the %d in other releases" % others if others else ""), facts=facts)


def patch_clients(stats, sepm_release):
    """How many clients already run a patch build of the SEPM's release: patches reached them somehow."""
    return sum(count for version, count in client_versions(stats).items()
               if release_of(version) == sepm_release and patch_level(version) > 0)


def client_patches_verdict(sepm_release, newest, target_version, clients_at_patch_builds):
    """Does the site download client patches? The API has no switch to read: the signals decide, or the console step."""
    facts = {"clients_at_patch_builds": clients_at_patch_builds}
    if newest:
        target = "; the rollout targets %s (rollout_target_version)" % target_version if target_version else \
            ": the rollout targets it"
        return Verdict("client_patches", OK, "the SEPM downloaded client patch %s of %s ('New software package "
                                             "available' notice)%s" % (newest, sepm_release, target), facts=facts)
    signs = " (%d clients run patch builds of %s, so patches reached them once)" % (
        clients_at_patch_builds, sepm_release) if clients_at_patch_builds else ""
    if target_version:
        return Verdict("client_patches", WARN, "cannot tell whether the site downloads client patches: no 'New software "
                                               "package available' notice of a %s client patch%s; the rollout targets "
                                               "rollout_target_version %s. To check: %s" % (
                                                   sepm_release, signs, target_version, CONSOLE_STEPS),
                       "cannot_tell", facts)
    return Verdict("client_patches", FAIL, "no 'New software package available' notice of a %s client patch%s: the "
                                           "rollout has nothing to target. Set rollout_target_version, or let the site "
                                           "download client patches: %s" % (sepm_release, signs, CONSOLE_STEPS),
                   "no_patch", facts)


# ----- policies, groups, computers -----------------------------------------------------------------
def lu_policy_verdict(allowing, name, summary_found, policy):
    """``allowing``: the policy must allow Windows client patches (else deny them)."""
    check = "allowing_policy" if allowing else "denying_policy"
    variables = ALLOWING_VARIABLES if allowing else DENYING_VARIABLES
    wanted = "on" if allowing else "off"
    if not summary_found:
        return Verdict(check, FAIL, "no LiveUpdate Settings policy is named %r: add it in the SEPM console (Policies > "
                                    "LiveUpdate > LiveUpdate Settings > Add a LiveUpdate Settings policy) with client "
                                    "patches %s for Windows, or name an existing one in %s" % (name, wanted, variables),
                       "missing")
    windows = lu_patch_settings(policy)["allow_patch_by_lu"]["windows"]
    if windows is None:
        return Verdict(check, WARN, "%r does not say whether Windows clients take client patches (no "
                                    "configuration.windows.advanced.allow_patch_by_lu): look at it in the console. %s" % (
                                        name, CONSOLE_PATH % (name, "check" if allowing else "uncheck")), "unknown_switch")
    if bool(windows) != allowing:
        harm = "staged computers would never take the patch" if allowing else \
            "the groups it guards would take client patches at their next LiveUpdate run, outside any rollout"
        return Verdict(check, FAIL, "%r has client patches %s for Windows where it should have them %s: %s. The API cannot "
                                    "change this setting. %s" % (name, "on" if windows else "off", wanted, harm,
                                                                 CONSOLE_PATH % (name, "check" if allowing else "uncheck")),
                       "wrong_switch")
    return Verdict(check, OK, "%r exists and %s Windows client patches" % (name, "allows" if allowing else "denies"))


def groups_verdict(named, missing, targets_named):
    """``named``: the group paths asked for; ``missing``: those the SEPM does not have."""
    if not named:
        if targets_named:
            return Verdict("groups", OK, "no SEPM group named: rollout_targets names the computers", "none_named")
        return Verdict("groups", WARN, "neither rollout_groups nor rollout_targets names what to patch: the rollout needs "
                                       "one of them", "nothing_named")
    if missing:
        return Verdict("groups", FAIL, "not in the SEPM: %s; give full paths with backslashes such as "
                                       "'My Company\\Servers' (rollout_groups, patch_policy_allowed_groups, "
                                       "patch_policy_denied_groups)" % ", ".join(missing), "missing",
                       {"missing": len(missing)})
    return Verdict("groups", OK, "%d group(s) exist: %s" % (len(named), ", ".join(named)), facts={"groups": len(named)})


def targets_verdict(pattern, host_count, sampled, not_found):
    """An inventory pattern's hosts, and whether a sample of their SEPM names is known to the SEPM."""
    if not pattern:
        return Verdict("targets", OK, "no rollout_targets pattern given", "none_named")
    if not host_count:
        return Verdict("targets", FAIL, "rollout_targets %r matches no inventory host: check the pattern and the "
                                        "inventory (-i)" % pattern, "no_hosts")
    facts = {"hosts": host_count, "sampled": sampled, "not_found": len(not_found)}
    if not_found:
        return Verdict("targets", WARN, "%d of %d sampled inventory hosts are not SEPM computers by that name: %s; the "
                                        "rollout skips them ('not found in the SEPM'): set their sepm_name host variable "
                                        "(the endpoint_ops.sepm.sepm inventory sets it)" % (
                                            len(not_found), sampled, ", ".join(not_found)), "not_found", facts)
    return Verdict("targets", OK, "%d inventory host(s); a sample of %d are all SEPM computers" % (host_count, sampled),
                   facts=facts)


def _field_value(record, field):
    value = record
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def lacking_fields(records, fields):
    """``{field: count}`` of the records that lack each field (absent or null); fields no record lacks are left out."""
    counts = {}
    for record in records:
        for field in fields:
            if _field_value(record, field) is None:
                counts[field] = counts.get(field, 0) + 1
    return {field: counts[field] for field in fields if field in counts}


def computer_fields_verdict(records, fields):
    sampled = len(records)
    lacking = lacking_fields(records, fields)
    facts = dict({"sampled": sampled}, **{"lacking " + field: count for field, count in lacking.items()})
    if not sampled:
        return Verdict("computer_fields", WARN, "no computer to sample: the SEPM lists none", "no_computers", facts)
    absent_everywhere = [field for field, count in lacking.items() if count == sampled]
    listed = ", ".join("%s (%d)" % item for item in lacking.items())
    if absent_everywhere:
        return Verdict("computer_fields", FAIL, "none of the %d sampled computer records carries %s, which the rollout "
                                                "reads: this SEPM answers in a shape the collection does not know; send "
                                                "the shape bundle to its maintainers. Records lacking fields: %s" % (
                                                    sampled, ", ".join(absent_everywhere), listed), "absent", facts)
    if lacking:
        return Verdict("computer_fields", WARN, "of %d sampled computer records some lack a field the rollout reads: %s; "
                                                "the rollout may skip or fail those computers" % (sampled, listed),
                       "lacking", facts)
    return Verdict("computer_fields", OK, "the %d sampled computer records carry every field the rollout reads (%s)" % (
        sampled, ", ".join(fields)), facts=facts)


# ----- commands, clock, requests -------------------------------------------------------------------
def command_queue_verdict(status):
    """``GET command-queue/{id}`` of an id that cannot exist: 410 when the queue is readable, 403 when the account may not."""
    facts = {"status": status}
    if status == 410:
        return Verdict("command_queue", OK, "readable: a command id that cannot exist answers 410, as it should",
                       facts=facts)
    if status == 403:
        return Verdict("command_queue", FAIL, "the account may not read command status (GET command-queue/{id} answers "
                                              "403): the rollout follows every command there; use a system "
                                              "administrator account", "forbidden", facts)
    return Verdict("command_queue", WARN, "a command id that cannot exist answered HTTP %s, not 410: the rollout reads "
                                          "command status there; look at the shape bundle" % status, "unexpected", facts)


def _duration(seconds):
    seconds = int(round(abs(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return "%dh%02dm%02ds" % (hours, minutes, seconds)
    return "%dm%02ds" % (minutes, seconds) if minutes else "%ds" % seconds


def clock_verdict(skew_seconds, clock="sepm"):
    """``skew_seconds``: the SEPM's clock minus the controller's (positive: the SEPM is ahead)."""
    facts = {"skew_s": round(skew_seconds, 1)}
    runs_on = "this controller's clock (rollout_clock: controller)" if clock == "controller" else \
        "the SEPM's clock (rollout_clock: sepm), the clock its restarts happen on"
    if abs(skew_seconds) <= CLOCK_TOLERANCE_S:
        return Verdict("clock", OK, "the SEPM's clock is within %s of this controller's; the rollout runs on %s" % (
            _duration(max(1.0, abs(skew_seconds))), runs_on), facts=facts)
    direction = "ahead of" if skew_seconds > 0 else "behind"
    return Verdict("clock", WARN, "the SEPM's clock is %s %s this controller's: the rollout's windows and timeouts run on "
                                  "%s, so by this controller's clock a window opens %s %s; set the SEPM's time right "
                                  "(NTP)" % (_duration(skew_seconds), direction, runs_on, _duration(skew_seconds),
                                             "earlier" if skew_seconds > 0 else "later"),
                   "skewed", facts)


def page_size_verdict(asked, honoured):
    facts = {"asked": asked, "honoured": honoured if isinstance(honoured, int) else -1}
    if not isinstance(honoured, int) or isinstance(honoured, bool) or honoured < 1:
        return Verdict("page_size", WARN, "a page of computers came without its size: the client pages until lastPage",
                       "unknown", facts)
    if honoured >= asked:
        return Verdict("page_size", OK, "pages of %d records, as the client asks" % asked, facts=facts)
    return Verdict("page_size", WARN, "pages hold at most %d records where the client asks for %d: a listing of 20,000 "
                                      "computers takes %d requests instead of %d (paging still reads every record)" % (
                                          honoured, asked, -(-20000 // honoured), -(-20000 // asked)), "smaller", facts)


def largest_accepted(accepts, low, high, resolution=256, low_accepted=False):
    """The largest size in ``low..high`` that ``accepts(size)`` takes, by binary search; ``low - 1`` when none.

    ``accepts`` is a harmless read of that many bytes of request head; sizes are taken as a
    step function (every size up to the limit accepted, none above), so about
    ``log2((high - low) / resolution)`` reads find it within ``resolution`` bytes.
    ``low_accepted``: ``low`` is known to be taken already, so it is not asked again.
    """
    if accepts(high):
        return high
    if not low_accepted and not accepts(low):
        return low - 1
    good, bad = low, high
    while bad - good > resolution:
        middle = (good + bad) // 2
        if accepts(middle):
            good = middle
        else:
            bad = middle
    return good


# The preflight's probe: heads from 1 KiB to 64 KiB, found within 128 bytes (about ten reads).
PROBE_LOW, PROBE_HIGH, PROBE_RESOLUTION = 1024, 65536, 128


def find_request_limit(accepts, max_request_bytes, low=PROBE_LOW, high=PROBE_HIGH, resolution=PROBE_RESOLUTION):
    """``(largest head accepted, whether max_request_bytes itself is)``: the split size is asked first, exactly."""
    if accepts(max_request_bytes):
        return largest_accepted(accepts, max_request_bytes, high, resolution, low_accepted=True), True
    return largest_accepted(accepts, low, max_request_bytes - 1, resolution), False


def request_limit_verdict(accepted, fits, max_request_bytes, ids_per_request, tried_up_to=PROBE_HIGH):
    """``accepted``: the largest request head (request line plus headers) the server took, in bytes;
    ``fits``: a head of exactly ``max_request_bytes`` was taken; ``ids_per_request``: how many computer
    ids the client puts in one command at that size (None when it could not tell: no session)."""
    facts = {"accepted_bytes": accepted, "tried_up_to": tried_up_to, "max_request_bytes": max_request_bytes}
    split = ""
    if ids_per_request:
        facts["ids_per_request"] = ids_per_request
        split = ": %d computer ids a command request" % ids_per_request
    if fits:
        took = "a request head of %d bytes, the most tried" % accepted if accepted >= tried_up_to else \
            "a request head of about %d bytes" % accepted
        return Verdict("request_limit", OK, "the server takes %s; the client keeps every request within %d bytes "
                                            "(max_request_bytes)%s" % (took, max_request_bytes, split), facts=facts)
    if accepted < PROBE_LOW:
        return Verdict("request_limit", FAIL, "the server refused even a %d-byte request head: look at what stands "
                                              "between this controller and the SEPM (a proxy)" % PROBE_LOW,
                       "refuses_all", facts)
    return Verdict("request_limit", FAIL, "the server refuses a request head over about %d bytes, less than the %d the "
                                          "client may send (max_request_bytes): a command for many computers would fail; "
                                          "set max_request_bytes: %d (or SEPM_MAX_REQUEST_BYTES=%d)" % (
                                              accepted, max_request_bytes, accepted, accepted), "too_small", facts)
