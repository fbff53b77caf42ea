# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one client of the SEPM REST API.

Everything that knows HTTP, tokens, retries, paging and SEPM's error envelope lives in the
client; modules and plugins call the concept methods of SepmClient and never build a
request themselves. The session it stands on (login, token reuse, retries, request sizes,
paging) is ``_client_session.py``, its errors and their messages ``_client_errors.py``: both
private, so callers import every name from here. No Ansible import, so the inventory plugin,
the modules and the unit tests share it as it is.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

from ansible_collections.endpoint_ops.sepm.plugins.module_utils._client_errors import (
    SepmAuthError,
    SepmConnectionError,
    SepmError,
    SepmNotFoundError,
    SepmTlsError,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils._client_session import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    HAS_REQUESTS,
    SepmSession,
    backoff_delay,
)
from ansible_collections.endpoint_ops.sepm.plugins.module_utils.errors import SepmInputError

# The names callers import from here, wherever they are defined.
__all__ = [
    "DEFAULT_PAGE_SIZE", "DEFAULT_PORT", "DEFAULT_TIMEOUT", "HAS_REQUESTS", "SepmAuthError", "SepmClient",
    "SepmConnectionError", "SepmError", "SepmNotFoundError", "SepmTlsError", "backoff_delay",
]

# The key of a command id in the SEPM's reply, by kind of target.
COMMAND_REPLY_KEYS = {"computers": "commandID_computer", "groups": "commandID_group"}
# A page number as wide as any a list will reach, for measuring a paged request before its first page.
WIDEST_PAGE_INDEX = 99999


def _segment(value):
    """One URL path segment: an id with '/' or '?' in it must not reach another endpoint."""
    text = quote(str(value), safe="")
    if text and set(text) <= {"."}:
        # quote() leaves dots alone and requests turns an escaped dot (%2E) back into a dot before sending, so such a
        # segment would climb the path on the SEPM; no SEPM id is dots alone.
        raise SepmInputError("%r is not a SEPM id: a path segment of dots alone would name another endpoint" % value)
    return text


def _path(template, *segments):
    """An API path from a template and its ids, each escaped as one segment."""
    return template % tuple(_segment(segment) for segment in segments)


class SepmClient(SepmSession):
    """A session with one SEPM (SepmSession: login, token reuse, retries within a deadline) and its concepts.

    An SEPM concept gets one method here: groups, computers, locations, policies, commands,
    notices and statistics, each one call (or one paged read) of the vendor's API.
    """

    def version(self, params=None):
        """``GET version``: the SEPM's version; needs no token (``params``: the preflight's harmless long query)."""
        return self._send("GET", "version", params=params, authenticate=False)

    def server_time(self, refresh=False):
        """The SEPM's clock (UTC), from the Date header of its latest reply; asks it when none was seen."""
        if refresh or self._server_time is None:
            self.version()
        return self._server_time

    def computers(self, group_id=None, name=None, computer_id=None, hardware_key=None, os=None,
                  page_size=DEFAULT_PAGE_SIZE):
        """Every computer record matching the SEPM-side filters, of one group or of the domain."""
        params = {}
        if name:
            params["computerName"] = name
        if computer_id:
            params["computer_id"] = computer_id
        if hardware_key:
            params["hardware_key"] = hardware_key
        path = _path("groups/%s/computers", group_id) if group_id else "computers"
        if not os:
            return self.paged(path, params, page_size=page_size)
        # A computer has one OS, so the lists of several OS filters never overlap.
        chunks = self.split_for_url("GET", path, os, lambda chunk: dict(
            params, os=list(chunk), pageSize=page_size, pageIndex=WIDEST_PAGE_INDEX))
        return itertools.chain.from_iterable(
            self.paged(path, dict(params, os=chunk), page_size=page_size) for chunk in chunks)

    def groups(self, full_path=None, page_size=DEFAULT_PAGE_SIZE):
        params = {"fullPathName": full_path} if full_path else {}
        return self.paged("groups", params, page_size=page_size)

    def find_group(self, full_path):
        """The group record whose full path is ``full_path`` (compared without case), or None."""
        wanted = (full_path or "").strip().lower()
        if not wanted:
            return None  # no path names no group (a root has no parent to look up)
        for group in self.groups(full_path=full_path):
            if (group.get("fullPathName") or "").lower() == wanted:
                return group
        return None

    def group_by_path(self, full_path):
        """Like find_group, but a missing group is an error naming the path."""
        group = self.find_group(full_path)
        if group is None:
            raise SepmNotFoundError(
                "group '%s' does not exist in the SEPM" % full_path, status=410,
                hint="give the full path with backslashes, e.g. 'My Company\\Servers'",
            )
        return group

    def group(self, group_id):
        return self.request("GET", _path("groups/%s", group_id))

    def create_group(self, parent_id, name, description="", inherits=True):
        """Create a child group; the SEPM answers 201 without the new id, so the caller looks it up."""
        body = {"name": name, "inherits": bool(inherits)}
        if description:
            # The reference's GroupPayload takes a description of 1 to 1024 characters: none is left out.
            body["description"] = description
        self.request("POST", _path("groups/%s", parent_id), json_body=body)

    def update_group(self, group_id, changes):
        self.request("PATCH", _path("groups/%s", group_id), json_body=changes)

    def delete_group(self, group_id):
        self.request("DELETE", _path("groups/%s", group_id))

    def group_locations(self, group_id):
        """A group's locations as ``[{"id", "name"}]``, from ``"Name:api/v1/locations/<id>"`` strings."""
        reply = self.request("GET", _path("groups/%s/locations", group_id), params={"hasName": "true"}) or []
        locations = []
        for entry in reply:
            if isinstance(entry, dict):
                locations.append({"id": entry.get("id"), "name": entry.get("name")})
                continue
            name, _sep, reference = str(entry).rpartition(":")
            location_id = reference.rstrip("/").rsplit("/", 1)[-1]
            locations.append({"id": location_id, "name": name or location_id})
        return locations

    def location_policy(self, group_id, location_id, policy_type):
        """Id of the policy of ``policy_type`` assigned at a group location, or None when none is."""
        try:
            return self.request("GET", _path("groups/%s/locations/%s/policies/%s", group_id, location_id, policy_type))
        except SepmNotFoundError:
            return None

    def assign_location_policy(self, group_id, location_id, policy_type, policy_id):
        self.request("PUT", _path("groups/%s/locations/%s/policies/%s", group_id, location_id, policy_type),
                     json_body={"id": policy_id})

    def group_policy(self, group_id, policy_type):
        """Id of a location-independent policy (``lucontent``) assigned to a group, or None."""
        try:
            reply = self.request("GET", _path("groups/%s/policies/%s", group_id, policy_type))
        except SepmNotFoundError:
            return None
        return reply.get("id") if isinstance(reply, dict) else reply

    def assign_group_policy(self, group_id, policy_type, policy_id):
        self.request("PUT", _path("groups/%s/policies/%s", group_id, policy_type), json_body={"id": policy_id})

    def policy_summaries(self, policy_type=None):
        """Every policy summary (the SEPM does not page this list), of one type or of all."""
        path = _path("policies/summary/%s", policy_type) if policy_type else "policies/summary"
        reply = self.request("GET", path) or {}
        return reply.get("content") or []

    def lu_policy(self, policy_id):
        """A LiveUpdate Settings policy in full; the API can read these but not write them."""
        return self.request("GET", _path("policies/lu/%s", policy_id))

    def location_settings(self, group_id, location_id):
        return self.request("GET", _path("groups/%s/locations/%s/settings", group_id, location_id))

    def update_location_settings(self, group_id, location_id, configuration):
        self.request("PATCH", _path("groups/%s/locations/%s/settings", group_id, location_id),
                     json_body={"configuration": configuration})

    def move_computers(self, moves, chunk_size=DEFAULT_PAGE_SIZE):
        """Move computers between groups: ``moves`` is ``[(hardware_key, group_id)]``.

        One PATCH carries many computers; the reply has a code per computer, returned in order.
        """
        replies = []
        moves = list(moves)
        for start in range(0, len(moves), chunk_size):
            body = [{"group": {"id": group_id}, "hardwareKey": hardware_key}
                    for hardware_key, group_id in moves[start:start + chunk_size]]
            replies.extend(self.request("PATCH", "computers", json_body=body) or [])
        return replies

    def send_command(self, command, computer_ids=None, group_ids=None, body=None):
        """Queue a command for many computers or groups; returns its command ids by kind of target.

        The targets go into the URL, so a long list takes several requests (split_for_url), each
        queueing a command of its own: ``{"computers": [id, ...], "groups": [id, ...]}`` (a kind
        only when given) holds them all, in the order sent, to be read and cancelled as one.
        """
        path = _path("command-queue/%s", command)
        batches = []
        for kind, parameter, ids in (("computers", "computer_ids", computer_ids), ("groups", "group_ids", group_ids)):
            def query(chunk, parameter=parameter):
                return {parameter: ",".join(chunk)}
            batches += [(kind, query(chunk)) for chunk in self.split_for_url("POST", path, ids or (), query, json_body=body)]
        command_ids = {}
        for number, (kind, params) in enumerate(batches):
            try:
                reply = self.request("POST", path, params=params, json_body=body) or {}
            except SepmError as exc:
                if number:
                    exc.message = "%s (%d of its %d requests had queued commands %s: read them with " \
                                  "endpoint_ops.sepm.command_info)" % (exc.message, number, len(batches), command_ids)
                raise
            command_ids.setdefault(kind, [])
            if reply.get(COMMAND_REPLY_KEYS[kind]):
                command_ids[kind].append(reply[COMMAND_REPLY_KEYS[kind]])
        return command_ids

    def command_status(self, command_id, page_size=DEFAULT_PAGE_SIZE):
        """One row per computer of a command, all pages."""
        return self.paged(_path("command-queue/%s", command_id), page_size=page_size)

    def cancel_command(self, command_id):
        return self.request("POST", _path("command-queue/%s/cancel", command_id), idempotent=True)

    def critical_events(self, include_acknowledged=True):
        """``GET events/critical``: the SEPM's notices, acknowledged ones too unless ``include_acknowledged`` is false.

        The SEPM leaves acknowledged notices out unless asked; a "New software package available"
        notice someone acknowledged in the console is still a download, so callers want them all.
        """
        params = {"includeAcknowledged": "true"} if include_acknowledged else None
        return self.request("GET", "events/critical", params=params) or {}

    def client_version_stats(self):
        """``GET stats/client/version``: how many clients run each version."""
        return self.request("GET", "stats/client/version")
