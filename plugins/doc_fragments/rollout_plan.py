# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options that plan a rollout: rollout_plan, and rollout_forecast, which plans the same way.
    DOCUMENTATION = r'''
options:
  targets:
    description:
      - An inventory pattern naming the target hosts, in the order to patch them (a canary first).
    type: str
    default: ""
  groups:
    description:
      - SEPM group paths whose computers (and their subgroups' computers) are targets.
    type: list
    elements: str
    default: []
  cluster_var:
    description:
      - Host variable that names a host's HA cluster.
    type: str
    default: ha_cluster
  cluster_pattern:
    description:
      - Regular expression on the computer name for hosts without O(cluster_var); its first group is the cluster.
    type: str
    default: '^(.+)-N\d+$'
  target_version:
    description:
      - The client version to reach, for example C(14.3.10148.9100); empty takes the newest patch the SEPM has.
    type: str
    default: ""
  serial:
    description:
      - Batch sizes, as Ansible's C(serial) - an int, a percentage such as C(10%), or a list of them.
    type: raw
    default: [1, "10%", "25%"]
  max_unavailable_per_cluster:
    description:
      - How many members of one HA cluster may be down at once.
    type: int
    default: 1
  offline:
    description:
      - V(skip) leaves offline computers out, with a reason; V(wait) batches them and lets the batch's timeouts decide.
    type: str
    choices: [skip, wait]
    default: skip
  allow_policy:
    description:
      - Name or id of the LiveUpdate Settings policy that allows client patches, assigned to the staging groups.
    type: str
    default: LiveUpdate - Client Patches Allowed
  staging_group:
    description:
      - Name of the staging child group (one name, no separator).
    type: str
    default: Patch Staging
  windows:
    description:
      - Maintenance windows (see the rollout role). Required unless O(ignore_windows=true).
    type: list
    elements: dict
    default: []
  ignore_windows:
    description:
      - Run without a window; batches and restarts may then happen at any time.
    type: bool
    default: false
  cutoff:
    description:
      - Seconds that must be left in the window before a batch starts; 0 is the sum of the three timeouts.
    type: int
    default: 0
  clock:
    description:
      - V(sepm) measures windows and timeouts on the SEPM's clock (the Date of its replies), the clock its
        restarts happen on; V(controller) on this machine's.
    type: str
    choices: [sepm, controller]
    default: sepm
  restart:
    description:
      - V(if_needed) restarts computers with a restart pending, V(always) every computer of a batch,
        V(never) none (they end C(deferred) with "patch delivered, restart pending"; the run goes on).
    type: str
    choices: [if_needed, always, never]
    default: if_needed
  restart_prompt:
    description:
      - Let users postpone the restart.
    type: bool
    default: false
  restart_message:
    description:
      - Message shown to users before the restart.
    type: str
    default: Symantec Endpoint Protection client patch - restarting within the maintenance window
  policy_timeout:
    description:
      - Seconds to wait until every client runs the staging group's policy (about two heartbeats), 1 to 604800.
    type: int
    default: 900
  delivery_timeout:
    description:
      - Seconds to wait for LiveUpdate to deliver the patch, 1 to 604800.
    type: int
    default: 3600
  restart_timeout:
    description:
      - Seconds to wait for a computer to come back at the target version after its restart, 1 to 604800.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two readings of the SEPM while a batch waits (0.01 to 3600).
    type: float
    default: 30
  failure_budget:
    description:
      - The run stops when MORE than this many computers failed.
    type: int
    default: 5
  max_fail_percentage:
    description:
      - The run stops when MORE than this percentage of a batch failed.
    type: float
    default: 20
  method:
    description:
      - How the patch reaches a host without its own method - C(liveupdate) (staging group and LiveUpdate) or
        C(package) (the exported client install package, installed by the rollout role over WinRM).
      - A host's own method comes from its host variable O(method_var), else from O(package_targets).
      - Liveupdate batches come first, then package batches; an HA cluster must use one method.
    type: str
    choices: [liveupdate, package]
    default: liveupdate
  method_var:
    description:
      - Host variable that names a host's method (C(liveupdate) or C(package)).
    type: str
    default: sepm_rollout_method
  package_targets:
    description:
      - Inventory pattern of hosts that take the package method (for example an inventory group of HA servers).
    type: str
    default: ""
  package:
    description:
      - The package the package method installs, as M(endpoint_ops.sepm.install_package_info) returned it; O(package_path)
        instead has it inspected by the plan itself.
      - Needed when a host takes the package method. Its release must be the SEPM's, and its version the target.
      - Never read from a variable with O(variable_prefix).
    type: dict
    default: {}
  package_path:
    description:
      - The exported client install package (a folder or a single file), inspected on the controller when the run is
        planned, as M(endpoint_ops.sepm.install_package_info) does.
    type: path
    default: ""
  package_version:
    description:
      - The version of the package at O(package_path), for example C(14.3.10148.9100).
    type: str
    default: ""
  package_sha256:
    description:
      - The package's SHA-256 (of the file, or of a folder's manifest), checked when given.
    type: str
    default: ""
  package_serial:
    description:
      - Batch sizes of the package batches (Ansible serial semantics); null takes O(serial).
    type: raw
    default: null
  install_timeout:
    description:
      - Seconds a package install (copy and silent install) may take on one host; a host starts only with it and the
        restart timeout (twice, when Windows has a restart pending) left in the window.
    type: int
    default: 1800
  health_checks:
    description:
      - The checks a computer back at the target must pass before it counts as patched, each against its own SEPM record
        from before its batch - V(checked_in) (online, checking in after its restart), V(protection) (Auto-Protect, the
        scan engine, the firewall and Tamper Protection each on after if it was on before), V(not_infected) (no new or
        worse infection), V(definitions) (virus definitions not older), V(no_restart_pending).
      - A computer that fails one is C(failed) with the reason in words ("unhealthy after the patch - Auto-Protect off, on
        before"); it counts against the failure budget and its HA partners are held back. Both methods use the checks.
      - Null runs all five; an empty list none.
    type: raw
    default: null
  health_settle:
    description:
      - How long the checks may take to pass after a computer came back - a number of heartbeats of its group (C(2), C("3
        heartbeats"), the heartbeat read from the group's communication settings) or a duration such as C(10m). Null is
        two heartbeats.
    type: raw
    default: null
  soak:
    description:
      - Hold the batches after the first O(soak.after) until their computers have run the patch for O(soak.for) and still
        pass the health checks, for example O(soak.after=1) and O(soak.for=24h) after the canary. A run that meets an unfinished soak
        ends as at a closed window - the rest C(deferred) "soaking until <time>", the run succeeds - and a later run goes on;
        a soaked computer that turned unhealthy stops the rollout.
      - Every run finds the soak in the SEPM's records alone (which targets run the target version, since when), so a
        scheduled job from a fresh AWX pod goes on where the last one stopped.
    type: dict
    default: null
    suboptions:
      after:
        description:
          - How many batches run before the soak - V(1) is the canary.
        type: int
        default: 1
      for:
        description:
          - How long the soaked computers run the patch before the rest go on - a duration such as C(24h), C(90m) or C(2d).
        type: str
        required: true
  max_restarting_per_group:
    description:
      - At most this many (or C(N%) of the group's computers in the SEPM) of one SEPM group restarting at once, beside the
        HA rule; a computer that does not fit waits for a later batch. Null is no budget.
    type: raw
    default: null
  max_downloading_per_group:
    description:
      - At most this many (or C(N%)) of one SEPM group downloading the patch at once (the bandwidth of a branch link), also
        while the next batch takes the patch ahead. Null is no budget.
    type: raw
    default: null
  deliver_ahead:
    description:
      - Deliver the next batch's patch while one restarts (faster rollouts). A delivered patch installs at that computer's
        next restart whoever restarts it, so it goes ahead only while the run is clean (no computer of it failed) and
        never to an HA partner of a computer in flight; so liveupdate batches put HA partners at least O(batches_ahead) + 1
        batches apart (two by default) where other computers can fill the batches between. V(false) has each batch take
        the patch in its own turn - slower, and no computer holds the patch before its batch starts.
    type: bool
    default: true
  batches_ahead:
    description:
      - How many batches take the patch ahead at once while one restarts, 1 to 3 (with O(deliver_ahead)). Where the
        clients' policy pickup and LiveUpdate take longer than a restart and its health checks (a 5-minute heartbeat),
        every batch waits for its own delivery with 1, and 2 keeps the restarts going back to back.
      - The price is the commitment. Every batch ahead holds a delivered patch that installs at its next restart
        whoever restarts it, so a stop leaves that many batches patched-pending instead of one. And it is decided while
        the batches before it are still on their way, so a failure budget they exceed later does not take it back.
        Each batch ahead also sits in the staging groups, so every reading of them is that much larger.
    type: int
    default: 1
  hand_off_restarts:
    description:
      - A batch's task sends the next batch's restart itself, as soon as its own batch is back and healthy and the run
        goes on, under the same rules as the next batch's task would (the holds, the window with the whole restart
        inside it). Without it the next batch's restart waits for this task to end and the next to start, at 20,000
        computers a second or more for the run's file alone.
      - Only a batch delivered in full ahead is handed off, never during a soak, and never when O(before_batch_tasks)
        or O(after_batch_tasks) names a hook - what runs between two batches sees one end before the next restarts.
        Leave it off when your own tasks run between two M(endpoint_ops.sepm.rollout_batch) tasks. The rollout role
        turns it on (C(rollout_hand_off_restarts)).
    type: bool
    default: false
  before_batch_tasks:
    description:
      - The tasks file run before each batch (the rollout role's C(rollout_before_batch_tasks)). The plan runs nothing;
        it only notes that a hook runs between batches, so O(hand_off_restarts) does not apply.
    type: str
    default: ""
  after_batch_tasks:
    description:
      - The tasks file run after each batch (the rollout role's C(rollout_after_batch_tasks)); as O(before_batch_tasks).
    type: str
    default: ""
  report_dir:
    description:
      - Folder of earlier runs' JSON reports (the rollout role's C(rollout_report_dir)). The batch durations of the
        last 20 runs found there feed the forecast of when this run will be done; without any, a batch is assumed to
        take a quarter to all of O(cutoff).
      - The run's file is kept in its C(.runs/) folder while the run goes on, and the drain journal of the package
        method beside the reports; without a folder, both go to the controller's temporary folder.
    type: path
    default: ""
  variable_prefix:
    description:
      - Every option the task does not give is read from the variable C(<prefix><option>) when it is set
        (C(rollout_serial) for O(serial)), and error messages name each option with this prefix, so a role's user
        reads the variable they set. The rollout role passes C(rollout_) and nothing else.
    type: str
    default: ""
'''
