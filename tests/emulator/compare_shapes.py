"""Compare shape bundles with the emulator's replies to the same reads.

    python -m tests.emulator.compare_shapes BUNDLE...        exit 1 when anything differs
    python -m tests.emulator.compare_shapes --from-captures tests/data/real-captures > real-captures.json

A bundle is what `endpoint_ops.sepm.preflight` writes (`preflight-<host>-<UTC time>.json`): for
each read, its method, the reference's path template, the HTTP status, the names of its query
parameters and the shape of the reply (plugins/module_utils/shapes.py). This starts a private
emulator, makes each read there (filling the template's ids and the parameters' values with the
emulator's own), and prints every key the real SEPM sends that the emulator does not
(`missing`), every key the emulator sends that the SEPM did not (`extra`), other JSON types, and
other statuses. Where they differ, the real SEPM is right: fix the emulator.
"""

import argparse
import importlib.util
import json
import os
import sys

import requests

from .harness import REPO_ROOT, EmulatorProcess

API = "/sepm/api/v1/"


def _load_shapes():
    """plugins/module_utils/shapes.py by its path: it is pure Python, so it needs no collection on sys.path."""
    path = os.path.join(REPO_ROOT, "plugins", "module_utils", "shapes.py")
    spec = importlib.util.spec_from_file_location("sepm_shapes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shapes = _load_shapes()

# Captured replies (tests/data/real-captures) of reads the emulator serves: file -> (method, template, query names).
CAPTURED_READS = {
    "get_computers.json": ("GET", "computers", ["computerName"]),
    "get_groups.json": ("GET", "groups", ["domain", "fullPathName"]),
    "get_command_status.json": ("GET", "command-queue/{command_id}", []),
    "get_policy_summary.json": ("GET", "policies/summary", []),
    "get_critical_events.json": ("GET", "events/critical", []),
}


class Emulated:
    """Reads against a private emulator, the template's ids and the parameters' values taken from its own world."""

    def __init__(self, process):
        self.process = process
        self.session = requests.Session()
        self.session.verify = process.ca_path
        self.token = self.login("admin")
        self._command_id = None
        self.root = self.call("GET", "groups", params={"fullPathName": "My Company"}).json()["content"][0]
        self.computer = self.call("GET", "computers", params={"pageSize": 1}).json()["content"][0]
        lu_policies = self.call("GET", "policies/summary/lu").json()["content"]
        self.lu_policy = lu_policies[0]["id"]
        self.location = self.call("GET", "groups/%s/locations" % self.root["id"]).json()[0]

    def call(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token or self.__dict__.get("token"):
            headers.setdefault("Authorization", "Bearer %s" % (token or self.token))
        return self.session.request(method, self.process.url + API + path, headers=headers, timeout=60,
                                    verify=self.process.ca_path, **kwargs)

    def login(self, username, password=None):
        reply = self.session.post(self.process.url + API + "identity/authenticate", timeout=60, verify=self.process.ca_path,
                                  json={"username": username, "password": password or self.process.password, "domain": ""})
        return reply.json().get("token") if reply.status_code == 200 else None

    def command_id(self, status):
        if status != 200:
            return "0" * 32
        if self._command_id is None:
            reply = self.call("POST", "command-queue/updatecontent", params={"computer_ids": self.computer["uniqueId"]})
            self._command_id = reply.json()["commandID_computer"]
        return self._command_id

    def path_values(self, status):
        return {
            "groupId": self.root["id"], "group_id": self.root["id"], "locationId": self.location,
            "location_id": self.location, "policyType": "lu", "policy_type": "lu", "id": self.lu_policy,
            "command_id": self.command_id(status) if status is not None else None,
        }

    def query_values(self):
        return {
            "pageSize": 1000, "pageIndex": 1, "computerName": self.computer["computerName"], "fullPathName": "My Company",
            "domain": self.root["domain"]["id"], "hasName": "true", "includeAcknowledged": "true", "mode": "list",
        }

    def read(self, entry):
        """(status, shape, note) of the emulator's reply to the bundle's read."""
        method, template, status = entry["method"], entry["template"], entry["status"]
        if method == "POST" and template == "identity/authenticate":
            body = {"username": "admin", "password": self.process.password if status == 200 else "wrong", "domain": ""}
            return self._shape(self.session.post(self.process.url + API + template, json=body, timeout=60,
                                                 verify=self.process.ca_path))
        if method == "POST" and template == "identity/logout":
            return self._shape(self.call("POST", template, token=self.login("admin")))
        if method != "GET":
            return None, None, "not a read: only reads are compared"
        values = self.path_values(status if "{command_id}" in template else None)
        try:
            path = template.format(**values)
        except KeyError as missing:
            return None, None, "no emulator value for %s" % missing
        query = {name: value for name, value in self.query_values().items() if name in entry.get("query", ())}
        if "preflight_probe" in entry.get("query", ()):
            # The preflight's request-size probe: a head the emulator refuses (over its 8,192 bytes) or takes.
            query["preflight_probe"] = "a" * (10000 if status in (400, 413, 414, 431) else 1)
        token = self.login("limited") if status == 403 else None
        return self._shape(self.call("GET", path, token=token, params=query))

    @staticmethod
    def _shape(reply):
        if not reply.content:
            return reply.status_code, {"type": "empty"}, None
        try:
            return reply.status_code, shapes.shape_of(reply.json()), None
        except ValueError:
            return reply.status_code, shapes.text_shape(reply.headers.get("Content-Type")), None


def compare(bundle, emulated):
    """Lines that say what differs between a bundle and the emulator; empty when nothing does."""
    found = []
    for entry in bundle.get("reads") or []:
        label = "%s %s (HTTP %s)" % (entry["method"], entry["template"], entry["status"])
        status, shape, note = emulated.read(entry)
        if note:
            found.append("%s: %s" % (label, note))
            continue
        if status != entry["status"]:
            found.append("%s: the SEPM answered HTTP %s, the emulator HTTP %s" % (label, entry["status"], status))
            continue
        for path, kind, detail in shapes.differences(entry["shape"], shape):
            found.append("%s: %s: %s (%s)" % (label, path, kind, detail))
    return found


def bundle_from_captures(directory):
    """A bundle of the captured real replies the emulator can be asked for (CAPTURED_READS)."""
    reads = []
    for name, (method, template, query) in sorted(CAPTURED_READS.items()):
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            reply = json.load(handle)
        reads.append({"method": method, "template": template, "status": 200, "query": sorted(query), "count": 1,
                      "shape": shapes.shape_of(reply)})
    return {"kind": "endpoint_ops.sepm preflight shape bundle", "format": 1,
            "source": "tests/data/real-captures (see its README): real SEPM 14.3 replies, as shapes",
            "verdicts": [], "reads": reads}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulator.compare_shapes", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("bundles", nargs="*", help="shape bundles (preflight-<host>-<UTC time>.json)")
    parser.add_argument("--from-captures", metavar="DIR", help="print a bundle made from the real captures in DIR")
    args = parser.parse_args(argv)
    if args.from_captures:
        json.dump(bundle_from_captures(args.from_captures), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    if not args.bundles:
        parser.error("name at least one bundle")
    bundles = []
    for path in args.bundles:
        try:
            with open(path, encoding="utf-8") as handle:
                bundles.append((path, json.load(handle)))
        except (OSError, ValueError) as error:
            print("%s: cannot read it as a bundle: %s" % (path, error))
            return 2
    differing = 0
    with EmulatorProcess(fleet=20, seed=1, time_scale=1) as process:
        emulated = Emulated(process)
        for path, bundle in bundles:
            found = compare(bundle, emulated)
            differing += bool(found)
            print("%s: %s" % (path, "%d difference(s)" % len(found) if found else "the emulator answers in the same shapes"))
            for line in found:
                print("  " + line)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
