# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import asyncio
import logging
import os
import sys

DOCUMENTATION = r'''
---
short_description: One event per new "New software package available" notice of a SEP Manager
description:
  - An ansible-rulebook event source that polls the critical events (C(GET events/critical)) of a Symantec
    Endpoint Protection Manager (SEPM) and emits one event for each "New software package available" notice
    it has not emitted before. The SEPM raises that notice after it downloaded a client package or patch
    from LiveUpdate; the REST API shows no other sign of one.
  - No duplicates across restarts of the source - the ids of the notices it has seen are kept in
    O(state_file), which is replaced in one step after the events of a poll are handed to ansible-rulebook.
    If the source dies between the two, the next start emits those events again (at least once, never lost);
    a canary rollout started twice finds its computers compliant and changes nothing.
  - "On the first start (no state file) the package notices the SEPM lists already are recorded without
    events, so a new source does not act on every package of the past; O(emit_existing=true) emits them."
  - A SEPM that is down or busy is logged in one line and polled again after O(interval); the source goes on.
    Rejected credentials, an untrusted certificate or a bad option stop it with one line that names what to change.
  - "The event: C(package) (C(product), C(platform), C(version), C(release), C(is_patch), C(arrived),
    C(event_id)), C(notice) (the notice as the SEPM sent it: C(eventId), C(eventDateTime), C(subject),
    C(message), C(acknowledged)) and C(sepm) (C(host), C(port)). No password or token is ever in an event or a log line."
  - The connection options and their E(SEPM_*) environment variables are the collection's modules' ones
    (see R(endpoint_ops.sepm.computer_info,ansible_collections.endpoint_ops.sepm.computer_info_module)).
options:
  sepm_host:
    description: Host name or IP address of the SEPM. If not set, E(SEPM_HOST).
    type: str
    required: true
  sepm_port:
    description: HTTPS port of the SEPM REST API. If not set, E(SEPM_PORT).
    type: int
    default: 8446
  sepm_username:
    description: SEPM administrator to log in as. If not set, E(SEPM_USERNAME).
    type: str
  sepm_password:
    description: Password of O(sepm_username). If not set, E(SEPM_PASSWORD). Never logged or emitted.
    type: str
  sepm_domain:
    description: SEPM domain to log in to; empty means the default domain. If not set, E(SEPM_DOMAIN).
    type: str
    default: ''
  sepm_token:
    description: A session token instead of a password. If not set, E(SEPM_TOKEN). It expires; a password does not.
    type: str
  validate_certs:
    description: Verify the SEPM's TLS certificate. If not set, E(SEPM_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed the SEPM certificate. If not set, E(SEPM_CA_PATH).
    type: path
  timeout:
    description: Seconds to wait for each HTTP reply, from 1 to 3600. If not set, E(SEPM_TIMEOUT).
    type: int
    default: 30
  max_request_bytes:
    description:
      - The most bytes of request line plus headers a request to the SEPM may have, from 1024 to 1048576; the
        SEPM's web server (Tomcat) refuses more than its C(maxHttpHeaderSize), 8192 bytes by default.
      - If not set, E(SEPM_MAX_REQUEST_BYTES).
    type: int
    default: 8192
  interval:
    description: Seconds between two polls, from 1 to 86400.
    type: int
    default: 300
  state_file:
    description:
      - Where the ids of the notices already seen are kept (JSON, written atomically, readable by the user only).
      - The default is C($XDG_STATE_HOME/endpoint_ops.sepm/patch_notices-<host>-<port>.json), C(~/.local/state)
        when E(XDG_STATE_HOME) is not set. A state file of another SEPM is refused.
      - In a container that is discarded on restart (an EDA controller activation), put it on a persistent
        volume, or accept that a restart counts as a first start.
    type: path
  emit_existing:
    description: On the first start, emit the package notices the SEPM lists already instead of only recording them.
    type: bool
    default: false
  include_acknowledged:
    description:
      - Ask for acknowledged notices too (C(includeAcknowledged=true)), so a notice an administrator acknowledged in the
        console before the next poll still starts the automation.
      - With V(false) only the notices nobody acknowledged yet are seen.
    type: bool
    default: true
requirements:
  - requests >= 2.28 where ansible-rulebook runs
'''

EXAMPLES = r'''
- name: Start the canary wave when the SEPM has a new Windows client patch
  hosts: localhost
  sources:
    - endpoint_ops.sepm.patch_notices:
        interval: 300
        # sepm_host, sepm_username, sepm_password, ca_path: from SEPM_HOST, SEPM_USERNAME, ...
  rules:
    - name: Canary for a Windows client patch
      condition: event.package.is_patch == true and event.package.platform == "windows"
      action:
        run_playbook:
          name: endpoint_ops.sepm.rollout
          extra_vars:
            rollout_target_version: "{{ event.package.version }}"
            rollout_groups: ['My Company\Canary']
            rollout_serial: [1]
            rollout_windows: [{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", duration: 24h, timezone: UTC}]
'''

LOG = logging.getLogger("endpoint_ops.sepm.patch_notices")
# A failed poll is tried again at the next one: a few quick retries inside a poll are enough.
POLL_ATTEMPTS = 3


def _collections_root(path):
    """The folder that holds the ``ansible_collections`` folder this file is in, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    while os.path.dirname(folder) != folder:
        if os.path.basename(folder) == "ansible_collections":
            return os.path.dirname(folder)
        folder = os.path.dirname(folder)
    return None


# ansible-rulebook runs a source file by its path: nothing puts the collection it came from on sys.path.
_ROOT = _collections_root(__file__)
if _ROOT and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# pylint: disable=wrong-import-position
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.client import (  # noqa: E402
    SepmAuthError,
    SepmConnectionError,
    SepmError,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.connection import client_for  # noqa: E402
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.notices import (  # noqa: E402
    check_state_file,
    event_of,
    new_notices,
    read_state,
    sepm_name,
    source_options,
    write_state,
)


def _fatal(error):
    """Errors no later poll can cure: the user has to change an option."""
    return isinstance(error, SepmAuthError) or (isinstance(error, SepmConnectionError) and not error.retryable)


async def main(queue: asyncio.Queue, args: dict) -> None:
    """Poll the SEPM's critical events and put one event per new package notice on ``queue``."""
    options = source_options(args, os.environ)
    sepm = sepm_name(options)
    check_state_file(options["state_file"])
    state = read_state(options["state_file"], sepm)
    client = client_for(options, max_attempts=POLL_ATTEMPTS)
    LOG.info("watching %s for new package notices every %ss (state: %s)", sepm, options["interval"], options["state_file"])
    if not options["validate_certs"]:
        LOG.warning("validate_certs is off: the SEPM at %s is not authenticated; set ca_path instead outside a lab", sepm)
    failing = None
    try:
        while True:
            try:
                reply = await asyncio.to_thread(client.critical_events, options["include_acknowledged"])
            except SepmError as error:
                if _fatal(error):
                    raise
                # One line per kind of failure, not one per poll of a SEPM that is down for hours.
                kind = (type(error).__name__, error.status)
                if kind != failing:
                    LOG.warning("polling %s failed, trying again every %ss: %s", sepm, options["interval"], error)
                failing = kind
            else:
                if failing:
                    LOG.warning("polling %s works again", sepm)
                failing = None
                fresh, new_state = new_notices(reply, state, sepm, options["emit_existing"])
                for package, notice in fresh:
                    await queue.put(event_of(package, notice, options))
                if new_state != state:
                    await asyncio.to_thread(write_state, options["state_file"], new_state)
                    state = new_state
            await asyncio.sleep(options["interval"])
    finally:
        await asyncio.to_thread(client.close)


if __name__ == "__main__":
    # python patch_notices.py: print the events, with the connection from the SEPM_* variables.

    class _PrintQueue(asyncio.Queue):
        async def put(self, item):
            print(item)

    asyncio.run(main(_PrintQueue(), {}))
