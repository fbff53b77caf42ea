"""Start and drive an emulator process from tests and benchmarks.

    with EmulatorProcess(fleet=200, time_scale=60) as emu:
        requests.get(emu.url + "/sepm/api/v1/version", verify=emu.ca_path)
"""

import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT_S = 60


class EmulatorProcess:
    """A `python -m tests.emulator` child process on a free port with its own CA."""

    def __init__(self, fleet=200, seed=1, time_scale=1.0, password=None, extra_args=(), profile="mixed",  # pylint: disable=too-many-arguments
                 module="tests.emulator"):
        self.fleet = fleet
        self.profile = profile
        self.seed = seed
        self.time_scale = time_scale
        self.password = password or secrets.token_urlsafe(12)
        self.username = "admin"
        self.extra_args = tuple(extra_args)
        # What runs the emulator: a benchmark may wrap it (tests/bench/profiled_emulator.py) with the same arguments.
        self.module = module
        self.host = "127.0.0.1"
        self.port = None
        self.process = None
        self._tmp = None
        self._stderr = None
        self._session = None

    # ----- lifecycle ----------------------------------------------------------------------
    @property
    def url(self):
        return f"https://{self.host}:{self.port}"

    @property
    def ca_path(self):
        return os.path.join(self._tmp, "tls", "ca.pem")

    def start(self):
        self._tmp = tempfile.mkdtemp(prefix="sepm-emulator-")
        self._stderr = open(os.path.join(self._tmp, "stderr.log"), "w+b")  # pylint: disable=consider-using-with
        command = [
            sys.executable, "-m", self.module, "--port", "0", "--host", self.host, "--fleet", str(self.fleet),
            "--seed", str(self.seed), "--time-scale", str(self.time_scale), "--profile", self.profile,
            "--tls-dir", os.path.join(self._tmp, "tls"),
            *self.extra_args,
        ]
        env = dict(os.environ, SEPM_EMULATOR_PASSWORD=self.password)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )
        line = self._read_listening_line()
        self.port = int(line.rsplit(":", 1)[1])
        self._session = requests.Session()
        self._session.verify = self.ca_path
        return self

    def _read_listening_line(self):
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            line = ""
        if not line.startswith("listening https://"):
            self.stop()
            raise RuntimeError(f"the SEPM emulator did not start: {line!r}\n{self.stderr_text()}")
        return line.strip()

    def stderr_text(self):
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self):
        if self._session is not None:
            self._session.close()
            self._session = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ----- control API --------------------------------------------------------------------
    def control(self, method, path, json=None):
        """Call /_emulator/<path> ("state" or "/_emulator/state"); the parsed JSON reply, raising on a non-2xx status."""
        path = path.lstrip("/")
        path = path[len("_emulator/"):] if path.startswith("_emulator/") else path
        # verify is passed per request: REQUESTS_CA_BUNDLE would otherwise override the session's.
        reply = self._session.request(method, f"{self.url}/_emulator/{path}", json=json, timeout=60,
                                      verify=self.ca_path)
        if reply.status_code >= 400:
            raise RuntimeError(f"control {method} {path}: {reply.status_code} {reply.text}")
        return reply.json()

    def reset(self, **kwargs):
        return self.control("POST", "reset", kwargs)

    def events(self, since=0):
        return self.control("GET", f"events?since={since}")

    def requests_count(self):
        return self.control("GET", "requests")

    def reset_requests(self):
        return self.control("POST", "requests/reset")

    def add_fault(self, **spec):
        return self.control("POST", "faults", spec)

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def advance(self, seconds):
        return self.control("POST", "clock", {"advance_s": seconds})

    def settings(self, **values):
        return self.control("POST", "settings", values)

    def fresh(self, time_scale, profile="windows", **settings):
        """The same emulator as new for the next test: its fleet reset, no fault, no throttle, its clock at ``time_scale``."""
        self.reset(profile=profile)
        self.clear_faults()
        self.settings(throttle=None, **settings)
        self.control("POST", "clock", {"time_scale": time_scale})
        return self

    def state(self):
        return self.control("GET", "state")
