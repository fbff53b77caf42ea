#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: group_restart_settings
short_description: Set a SEPM group location's client restart schedule from a maintenance window
version_added: 0.1.0
description:
  - Writes the restart settings of a group location (C(configuration.general_settings.restart)),
    that is when the SEPM may restart clients that wait for a restart, whether it forces the restart,
    and how users are told.
  - The schedule comes from the same maintenance window definition the rollout uses
    (O(window)); the SEPM itself then restarts clients only inside it.
  - Changes only what differs; other settings of the location are left alone.
author:
  - endpoint_ops maintainers (@endpoint-ops)
extends_documentation_fragment:
  - endpoint_ops.sepm.connection
  - endpoint_ops.sepm.attributes
options:
  group:
    description:
      - Full path of the group.
    type: str
    required: true
  location:
    description:
      - V(default) for the group's default location, V(all) for every location, or one location's name.
    type: str
    default: default
  window:
    description:
      - The maintenance window, as the rollout takes it - O(window.days), O(window.start),
        O(window.duration) and O(window.timezone).
      - The SEPM schedule repeats weekly and randomizes restarts a whole number of hours either
        side of its time, so the duration must be an even number of hours from 2h to 16h. The
        schedule is written with its time in the middle of the window.
      - The SEPM schedule has no time zone - each client applies it in its own local time.
        The module warns when O(window.timezone) is given so that this is not forgotten.
    type: dict
    suboptions:
      days:
        description: Weekdays the window opens on (C(mon) .. C(sun)).
        type: list
        elements: str
        required: true
      start:
        description: Local start time, C(HH:MM).
        type: str
        required: true
      duration:
        description: Length, for example C(4h).
        type: str
        required: true
      timezone:
        description: IANA time zone of O(window.start).
        type: str
        required: true
  enabled:
    description:
      - Whether the SEPM restarts clients on the schedule at all.
    type: bool
    default: true
  force:
    description:
      - Force the restart even when a user postpones it.
    type: bool
    default: false
  force_when_logged_out:
    description:
      - Restart at once when no user is logged on.
    type: bool
  notification:
    description:
      - What the user is told before the restart.
    type: dict
    suboptions:
      enabled:
        description: Tell the user.
        type: bool
        default: true
      text:
        description: The message shown to the user.
        type: str
      countdown:
        description: Minutes of countdown (1 to 60).
        type: int
      user_pause_ttl:
        description: Minutes a user may postpone (5 to 60).
        type: int
'''

EXAMPLES = r'''
- name: SQL servers restart Saturday night, 22:00 to 02:00 local time
  endpoint_ops.sepm.group_restart_settings:
    group: My Company\Servers\SQL
    location: all
    window:
      days: [sat]
      start: "22:00"
      duration: 4h
      timezone: Europe/Berlin
    force: true
    notification:
      text: Symantec client patch - this server restarts in the maintenance window
      countdown: 15
'''

RETURN = r'''
restart:
  description: The restart settings per location name after the change.
  returned: success
  type: dict
  sample:
    Default:
      enabled: true
      force: true
      schedule: {"time": "00:00", "time_window": 2, "randomize_start_time": true, "saturday": false, "sunday": true}
changed_locations:
  description: Names of the locations whose restart settings changed (or would change in check mode).
  returned: success
  type: list
  elements: str
'''

from ansible_collections.endpoint_ops.sepm.plugins.module_utils.inputs import LOCATION_NAME_MAX, check_group_path, check_name
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.module import SepmModule
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.targets import group_named
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.settings import check_notification, desired_restart, select_locations
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.window import to_restart_schedule


def restart_of(settings):
    return ((settings or {}).get("configuration") or {}).get("general_settings", {}).get("restart") or {}


def ensure_restart_settings(module):
    client = module.client
    params = module.params
    # Every option checked before the first SEPM call.
    path = check_group_path("group", params["group"])
    check_name("location", params["location"], LOCATION_NAME_MAX)
    check_notification(params["notification"])
    schedule = None
    if params["window"]:
        mapped = to_restart_schedule(params["window"])
        schedule = mapped["schedule"]
        module.warn("the SEPM applies restart schedules in each client's local time; the window was written for %s"
                    % mapped["timezone"])
    group = group_named(client, "group", path)
    locations = select_locations(client.group_locations(group["id"]), group, params["location"])
    before, after, location_ids = {}, {}, {}
    for location in locations:
        current = restart_of(client.location_settings(group["id"], location["id"]))
        before[location["name"]] = current
        after[location["name"]] = desired_restart(current, params, schedule)
        location_ids[location["name"]] = location["id"]
    to_change = sorted(name for name in before if before[name] != after[name])

    def apply():
        for name in to_change:
            client.update_location_settings(group["id"], location_ids[name], {"general_settings": {"restart": after[name]}})

    result = module.change(before, after, apply)
    result.update(restart=after, changed_locations=to_change)
    return result


def main():
    module = SepmModule(
        argument_spec_extra=dict(
            group=dict(type="str", required=True),
            location=dict(type="str", default="default"),
            window=dict(type="dict", options=dict(
                days=dict(type="list", elements="str", required=True),
                start=dict(type="str", required=True),
                duration=dict(type="str", required=True),
                timezone=dict(type="str", required=True),
            )),
            enabled=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            force_when_logged_out=dict(type="bool"),
            notification=dict(type="dict", options=dict(
                enabled=dict(type="bool", default=True),
                text=dict(type="str"),
                countdown=dict(type="int"),
                user_pause_ttl=dict(type="int"),
            )),
        ),
        supports_check_mode=True,
    )
    module.run(ensure_restart_settings)


if __name__ == "__main__":
    main()
