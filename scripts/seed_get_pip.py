"""Seed ansible-test's pip bootstrap cache so `ansible-test ... --venv` works offline.

Before it installs anything into a fresh virtual environment, ansible-test fetches
``get-pip-<version>.py`` from ci-files.testing.ansible.com, a host this machine (and
CI) cannot reach, unless ``~/.ansible/test/cache/get_pip_<version>.py`` already
exists (ansible_test/_util/target/setup/requirements.py, ``bootstrap()``).

This writes a small stand-in there when it is missing: it bootstraps pip from the
standard library's ``ensurepip`` and then runs ``pip install`` with the arguments
ansible-test gave (``pip==<version>``), minus ``--no-setuptools``/``--no-wheel``,
which only get-pip.py understands (setuptools, which ensurepip brings, is removed
again when ``--no-setuptools`` was asked for). The pip release itself still comes from PyPI.

Run it with the Python of the environment that has ansible-test installed; it reads
the pip version from ansible_test rather than hard-coding it. Prints the cache path.
"""

from __future__ import annotations

import os
import re
import sys
import types

STAND_IN = '''\
"""Stand-in for get-pip.py written by the endpoint_ops.sepm test harness
(scripts/seed_get_pip.py): ensurepip, then pip install the requested packages."""
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}
args = [arg for arg in sys.argv[1:] if arg not in DROP]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
# ensurepip brings setuptools along; get-pip.py would not have with --no-setuptools.
if "--no-setuptools" in sys.argv[1:]:
    subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])
'''


def pip_version() -> str:
    """The pip version ansible-test bootstraps into its virtual environments."""
    try:
        from ansible_test._internal.python_requirements import get_venv_packages

        python = types.SimpleNamespace(version="%d.%d" % sys.version_info[:2])
        return get_venv_packages(python)["pip"]
    except Exception as ex:  # pragma: no cover - fall back to reading the source
        import ansible_test

        path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
        with open(path, encoding="utf-8") as handle:
            match = re.search(r"""\bpip\s*=\s*['"]([0-9][^'"]*)['"]""", handle.read())
        if not match:
            raise SystemExit("seed_get_pip: cannot find ansible-test's pip version (%s)" % ex)
        return match.group(1)


def main() -> int:
    version = pip_version()
    cache = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if os.path.exists(cache):
        print("seed_get_pip: %s exists, left as it is" % cache, file=sys.stderr)
    else:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        tmp = cache + ".tmp%d" % os.getpid()
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(STAND_IN)
        os.replace(tmp, cache)
        print("seed_get_pip: wrote stand-in for get-pip %s to %s" % (version, cache), file=sys.stderr)
    print(cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
