# -*- coding: utf-8 -*-
"""Run real ansible-playbook against the emulator and read back what the tasks returned."""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                        r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def collections_root():
    """A folder holding ansible_collections/endpoint_ops/sepm for this checkout.

    The test command runs us from such a tree already; a plain checkout gets one
    temporary tree with a link per test session, removed when the session ends.
    """
    if REPO_ROOT.parent.name == "endpoint_ops" and REPO_ROOT.parent.parent.name == "ansible_collections" \
            and REPO_ROOT.name == "sepm":
        return REPO_ROOT.parents[2]
    root = Path(tempfile.mkdtemp(prefix="sepm-collections-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "ansible_collections" / "endpoint_ops").mkdir(parents=True)
    (root / "ansible_collections" / "endpoint_ops" / "sepm").symlink_to(REPO_ROOT)
    return root


def ansible_bin(name):
    """The ansible command beside the running Python (the project's venv), else from PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def ansible_bins_of_each_core(name):
    """``(id, path)`` of an ansible command for the newest core, then for each older core's venv.

    scripts/test.sh names those venvs in SEPM_OLDER_CORE_VENVS (`make test` builds .venv-core2.15),
    for what each core does its own way: action groups, inventory output, templating.
    """
    found = [("newest-core", ansible_bin(name))]
    for venv in os.environ.get("SEPM_OLDER_CORE_VENVS", "").split():
        found.append((Path(venv).name, str(Path(venv) / "bin" / name)))
    return found


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    records: list = field(default_factory=list)

    @property
    def output(self):
        return self.stdout + self.stderr

    def results(self, task):
        return [record["result"] for record in self.records if record["task"] == task]

    def result(self, task):
        found = self.results(task)
        if not found:
            raise AssertionError("task %r did not run; output:\n%s" % (task, self.output[-4000:]))
        return found[-1]

    def recap(self, host="localhost"):
        for match in RECAP_LINE.finditer(self.stdout):
            if match.group("host") == host:
                return {key: int(value) for key, value in match.groupdict().items() if key != "host"}
        raise AssertionError("no PLAY RECAP for %s in:\n%s" % (host, self.output[-4000:]))


class PlaybookRunner:
    """ansible-playbook with the collection on its path and the SEPM connection in the environment."""

    def __init__(self, emulator, workdir):
        self.emulator = emulator
        self.workdir = Path(workdir)
        self.collections = collections_root()

    def connection_env(self, **overrides):
        env = {
            "SEPM_HOST": self.emulator.host,
            "SEPM_PORT": str(self.emulator.port),
            "SEPM_USERNAME": self.emulator.username,
            "SEPM_PASSWORD": self.emulator.password,
            "SEPM_CA_PATH": str(self.emulator.ca_path),
        }
        env.update(overrides)
        return {key: value for key, value in env.items() if value is not None}

    def _prepare(self, playbook, args, env, connection, extra_vars):
        playbook = Path(playbook) if not isinstance(playbook, str) or "\n" not in playbook else self._write(playbook)
        handle, record_path = tempfile.mkstemp(prefix="results-", suffix=".json", dir=self.workdir)
        os.close(handle)
        os.unlink(record_path)
        full_env = dict(os.environ)
        for key in list(full_env):
            if key.startswith("SEPM_"):
                del full_env[key]
        full_env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "result_recorder",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "RESULT_RECORDER_PATH": record_path,
        })
        if connection:
            full_env.update(self.connection_env())
        full_env.update(env or {})
        command = [ansible_bin("ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook), *args]
        if extra_vars:
            vars_file = self._write(json.dumps(extra_vars), suffix=".json")
            command += ["-e", "@%s" % vars_file]
        return command, full_env, record_path

    def run(self, playbook, *args, env=None, connection=True, extra_vars=None, timeout=900):
        """Run a playbook (a path or FQCN, or YAML text written to a file first) and collect its results."""
        command, full_env, record_path = self._prepare(playbook, args, env, connection, extra_vars)
        completed = subprocess.run(command, cwd=self.workdir, env=full_env, capture_output=True, text=True,
                                   timeout=timeout, check=False)
        records = []
        if os.path.exists(record_path):
            with open(record_path, encoding="utf-8") as handle:
                records = json.load(handle)
        return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, records)

    def start(self, playbook, *args, extra_vars=None, log_path=None):
        """Start a playbook in its own process group (so a test can kill it all) and return the Popen."""
        command, full_env, _record_path = self._prepare(playbook, args, None, True, extra_vars)
        with open(log_path or os.devnull, "w", encoding="utf-8") as log:
            # The child keeps its own copy of the descriptor.
            return subprocess.Popen(command, cwd=self.workdir, env=full_env, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                    start_new_session=True)

    def _write(self, text, suffix=".yml"):
        handle = tempfile.NamedTemporaryFile("w", suffix=suffix, dir=self.workdir, delete=False)
        with handle:
            handle.write(text)
        return Path(handle.name)
