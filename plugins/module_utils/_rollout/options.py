# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A run's options: their argument specs, and the one check that normalises them when the run is planned.

``check_options`` runs before anything reads or writes the SEPM. Everything after it reads the
normalised form: ``serial`` and ``package_serial`` are lists of batch sizes (whole numbers and
``"N%"``), ``cutoff`` is a number of seconds, the timeouts are whole seconds, the method is one of
``METHODS``. A bad value fails in one line that names the option as the caller's variable
(``rollout_serial`` for the rollout role).
"""

from __future__ import annotations

import math

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.health import check_settle, select_checks
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.plan import check_group_budget, normalize_serial
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.soak import check_soak
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.versions import release_of
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import parse_windows

METHODS = ("liveupdate", "package")
STAGING_GROUP = "Patch Staging"
MAX_TIMEOUT = 7 * 24 * 3600
MAX_POLL_INTERVAL = 3600
MAX_NAME_LENGTH = 64
# Each batch ahead holds its computers in the staging groups (every reading reads them) and commits them to the patch.
MAX_BATCHES_AHEAD = 3

# The options of a run, shared by the rollout_plan module's documentation and its action plugin.
RUN_OPTIONS = dict(
    target_version=dict(type="str", default=""),
    serial=dict(type="raw", default=[1, "10%", "25%"]),
    max_unavailable_per_cluster=dict(type="int", default=1),
    offline=dict(type="str", choices=["skip", "wait"], default="skip"),
    allow_policy=dict(type="str", default="LiveUpdate - Client Patches Allowed"),
    staging_group=dict(type="str", default=STAGING_GROUP),
    windows=dict(type="list", elements="dict", default=[]),
    ignore_windows=dict(type="bool", default=False),
    cutoff=dict(type="int", default=0),
    clock=dict(type="str", choices=["sepm", "controller"], default="sepm"),
    restart=dict(type="str", choices=["if_needed", "always", "never"], default="if_needed"),
    restart_prompt=dict(type="bool", default=False),
    restart_message=dict(type="str", default="Symantec Endpoint Protection client patch - restarting within the maintenance window"),
    policy_timeout=dict(type="int", default=900),
    delivery_timeout=dict(type="int", default=3600),
    restart_timeout=dict(type="int", default=1800),
    poll_interval=dict(type="float", default=30),
    failure_budget=dict(type="int", default=5),
    max_fail_percentage=dict(type="float", default=20),
    method=dict(type="str", choices=list(METHODS), default="liveupdate"),
    package=dict(type="dict", default={}),
    package_path=dict(type="path", default=""),
    package_version=dict(type="str", default=""),
    package_sha256=dict(type="str", default=""),
    package_serial=dict(type="raw", default=None),
    install_timeout=dict(type="int", default=1800),
    health_checks=dict(type="raw", default=None),
    health_settle=dict(type="raw", default=None),
    soak=dict(type="dict", default=None, options={"after": dict(type="int", default=1), "for": dict(type="str", required=True)}),
    max_restarting_per_group=dict(type="raw", default=None),
    max_downloading_per_group=dict(type="raw", default=None),
    deliver_ahead=dict(type="bool", default=True),
    batches_ahead=dict(type="int", default=1),
    hand_off_restarts=dict(type="bool", default=False),
    before_batch_tasks=dict(type="str", default=""),
    after_batch_tasks=dict(type="str", default=""),
)

PLAN_OPTIONS = dict(
    RUN_OPTIONS,
    targets=dict(type="str", default=""),
    groups=dict(type="list", elements="str", default=[]),
    cluster_var=dict(type="str", default="ha_cluster"),
    cluster_pattern=dict(type="str", default=r"^(.+)-N\d+$"),
    variable_prefix=dict(type="str", default=""),
    method_var=dict(type="str", default="sepm_rollout_method"),
    package_targets=dict(type="str", default=""),
    report_dir=dict(type="path", default=""),
)
FORECAST_OPTIONS = dict(
    PLAN_OPTIONS,
    start=dict(type="str", default=""),
)
# What a task after the plan passes: the run's handle (rollout_plan's ``run``), never the run itself.
RUN_HANDLE = dict(type="dict", required=True)
BATCH_STEPS = ("run", "describe", "stop")
BATCH_OPTIONS = dict(
    run=dict(RUN_HANDLE, aliases=["rollout"]),
    batch=dict(type="str", required=True),
    step=dict(type="str", default="run", choices=list(BATCH_STEPS)),
    reason=dict(type="str", default=""),
)
PACKAGE_STEPS = ("begin", "gate", "copied", "drain", "restart", "verify", "restored", "fail", "end")
PACKAGE_OPTIONS = dict(
    run=dict(RUN_HANDLE, aliases=["rollout"]),
    step=dict(type="str", required=True, choices=list(PACKAGE_STEPS)),
    batch=dict(type="str", default=""),
    host=dict(type="str", default=""),
    pending_reboot=dict(type="bool", default=False),
    checksums=dict(type="dict", default={}),
    failed_step=dict(type="str", default=""),
    failure=dict(type="str", default=""),
)
REPORT_OPTIONS = dict(
    run=dict(RUN_HANDLE, aliases=["rollout"]),
    error=dict(type="str", default=""),
    keep_run=dict(type="bool", default=False),
    html=dict(type="bool", default=True),
    html_template=dict(type="path", default=""),
)
# A role variable whose name is not its option's: the forecast's start is rollout_forecast_start.
VARIABLE_NAMES = {"start": "forecast_start"}


def _check_number(options, name, low, high, kind=int, label=str):
    value = options.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise SepmInputError("%s must be a number, got %r" % (label(name), value))
    if not low <= value <= high:
        raise SepmInputError("%s must be from %s to %s, got %r" % (label(name), low, high, value))
    return kind(value)


def check_options(options, prefix=""):
    """Every run option checked and normalised before anything is read or written; one line naming the option when not.

    ``prefix`` names the options as the caller's variables (the rollout role's ``rollout_``).
    """
    options = dict(options)

    def label(name):
        return prefix + name

    windows = options.get("windows") or []
    if not windows and not options.get("ignore_windows"):
        raise SepmInputError("give %s (restarts happen only inside them), or set %s: true" % (label("windows"), label("ignore_windows")))
    if windows:
        try:
            parse_windows(windows)
        except (ValueError, OverflowError) as exc:  # a duration past what datetime holds overflows
            raise SepmInputError("%s: %s" % (label("windows"), exc))
    options["windows"] = list(windows)
    options.setdefault("install_timeout", 1800)
    for name in ("policy_timeout", "delivery_timeout", "restart_timeout", "install_timeout"):
        options[name] = _check_number(options, name, 1, MAX_TIMEOUT, label=label)
    options["poll_interval"] = _check_number(options, "poll_interval", 0.01, MAX_POLL_INTERVAL, float, label)
    if options.get("cutoff") in (None, 0):
        options["cutoff"] = options["policy_timeout"] + options["delivery_timeout"] + options["restart_timeout"]
    options["cutoff"] = _check_number(options, "cutoff", 1, MAX_TIMEOUT * 3, label=label)
    options["failure_budget"] = _check_number(options, "failure_budget", 0, 10 ** 9, label=label)
    options["max_fail_percentage"] = _check_number(options, "max_fail_percentage", 0, 100, float, label)
    options["max_unavailable_per_cluster"] = _check_number(options, "max_unavailable_per_cluster", 1, 1000, label=label)
    staging = str(options.get("staging_group") or "").strip()
    if not staging or "\\" in staging or "/" in staging or len(staging) > MAX_NAME_LENGTH:
        raise SepmInputError("%s must be one group name (no \\ or /, 1 to %d characters), got %r"
                             % (label("staging_group"), MAX_NAME_LENGTH, options.get("staging_group")))
    options["staging_group"] = staging
    target = options.get("target_version")
    if target and release_of(target) is None:
        raise SepmInputError("%s %r is not a SEP version such as 14.3.10148.9100" % (label("target_version"), target))
    options["serial"] = _serial(options.get("serial"), label("serial"))
    if options.get("package_serial") in (None, "", []):
        options["package_serial"] = list(options["serial"])
    else:
        options["package_serial"] = _serial(options["package_serial"], label("package_serial"))
    options["method"] = options.get("method") or "liveupdate"
    if options["method"] not in METHODS:
        raise SepmInputError("%s must be one of %s, got %r" % (label("method"), ", ".join(METHODS), options["method"]))
    # The quality gates (see ``driver.py``): checks after the patch, their settle time, the soak, the group budgets.
    options["health_checks"] = list(select_checks(options.get("health_checks"), label("health_checks")))
    options["health_settle"] = check_settle(options.get("health_settle"), label("health_settle"))
    options["soak"] = check_soak(options.get("soak"), label("soak")) if options.get("soak") else None
    for name in ("max_restarting_per_group", "max_downloading_per_group"):
        options[name] = check_group_budget(options.get(name), label(name))
    options["deliver_ahead"] = options.get("deliver_ahead", True) is not False
    options.setdefault("batches_ahead", 1)
    options["batches_ahead"] = _check_number(options, "batches_ahead", 1, MAX_BATCHES_AHEAD, label=label)
    for name in ("before_batch_tasks", "after_batch_tasks"):
        options[name] = str(options.get(name) or "")
    options["hand_off_restarts"] = options.get("hand_off_restarts") is True
    return options


def hands_off_restarts(options):
    """A batch's task sends the next batch's restart itself: asked for, and nothing runs between two batches.

    A hook between batches (the role's before- and after-batch tasks) must see one batch end before the
    next one restarts, so a run with a hook never hands off.
    """
    return options.get("hand_off_restarts") is True and not options.get("before_batch_tasks") \
        and not options.get("after_batch_tasks")


def _serial(serial, name):
    try:
        return normalize_serial(serial)
    except ValueError as exc:
        raise SepmInputError("%s: %s" % (name, exc))


def serial_of(options, method):
    """The batch sizes of a method's batches, normalised by ``check_options``."""
    return options["package_serial"] if method == "package" else options["serial"]
