#!/usr/bin/env bash
# Run the collection's test steps in an arranged collection tree (see
# scripts/collection-tree.sh) with the project's virtual environment.
#
#   scripts/test.sh STEP...     STEP: sanity units integration lint molecule galaxy eda
#
# STEP@CORE (sanity@2.15, units@2.15) runs sanity or units with another ansible-core,
# from the virtual environment .venv-core<CORE> (`make venv-core CORE=2.15` builds it from
# tests/requirements-core<CORE>.txt); the log is tests/output/logs/<step>-core<CORE>.log.
#
# eda runs the tests marked eda (the example rulebook under a real ansible-rulebook) with
# ansible-rulebook from .venv-eda (`make venv-eda`, tests/requirements-eda.txt) and Java 17.
#
# The Makefile calls this after `make venv`. Every step runs even when an earlier
# one failed; the run fails when any step failed. Full logs go to
# tests/output/logs/<step>.log; a failing step prints the interesting part.
#
# Environment: VENV (default .venv), KEEP_TREE=1 (keep the temporary collection
# tree instead of removing it at exit), PYTEST_ARGS (extra arguments for the
# integration pytest run), SANITY_ARGS / UNITS_ARGS (extra ansible-test arguments,
# e.g. SANITY_ARGS="--test pylint").
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

VENV="${VENV:-.venv}"
VENV="$(cd "$VENV" 2>/dev/null && pwd -P)" || { echo "test.sh: no virtual environment at ${VENV}; run 'make venv'" >&2; exit 2; }
PY="$VENV/bin/python"
[[ -x "$PY" ]] || { echo "test.sh: $PY missing; run 'make venv'" >&2; exit 2; }
export PATH="$VENV/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
# ansible-core needs a UTF-8 locale; C.UTF-8 exists everywhere.
if ! locale 2>/dev/null | grep -qi 'utf-\?8'; then export LC_ALL=C.UTF-8 LANG=C.UTF-8; fi

PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
LOGDIR="$REPO/tests/output/logs"
CORE_OF_VENV="$("$PY" -c 'import ansible.release as r; print(r.__version__)')"
mkdir -p "$LOGDIR"

[[ $# -gt 0 ]] || set -- sanity units integration lint galaxy

# A private tree per run, so concurrent runs from one checkout cannot trip over
# each other; KEEP_TREE=1 keeps it for a look afterwards.
COLLECTIONS_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/sepm-test.XXXXXX")"
if [[ "${KEEP_TREE:-0}" != 1 ]]; then trap 'rm -rf "$COLLECTIONS_ROOT"' EXIT; fi
TREE="$("$REPO/scripts/collection-tree.sh" "$COLLECTIONS_ROOT")"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_ROOT"
echo "test.sh: collection tree $TREE"
echo "test.sh: ansible-core $CORE_OF_VENV, python $PYVER"

# For a STEP@CORE: switch this (sub)shell to the virtual environment of that core.
use_core() {  # $1 core such as 2.15, or empty for $VENV
  CORE="$1"
  [[ -n "$1" ]] || return 0
  VENV="$REPO/.venv-core$1"
  PY="$VENV/bin/python"
  if [[ ! -x "$PY" ]]; then
    echo "FAIL: no virtual environment for ansible-core $1 at $VENV; run 'make venv-core CORE=$1'"
    return 1
  fi
  export PATH="$VENV/bin:$PATH"
  echo "ansible-core $("$PY" -c 'import ansible.release as r; print(r.__version__)') from $VENV"
}

# A pytest closing line such as "==== 12 passed, 1 skipped in 3.21s ====".
pytest_closing_line() {
  grep -E '^=+ .*\b(passed|failed|error|errors|skipped|no tests ran|deselected)\b.* in [0-9.]+s.* =+$' "$1" | tail -n 1 || true
}

# ---------------------------------------------------------------- steps
# Each step runs in a subshell with `set -e`, from the collection tree, with its
# output in $LOG; it returns non-zero on failure and may set NOTE via $NOTEFILE.

step_sanity() {
  cd "$TREE"
  "$PY" "$REPO/scripts/seed_get_pip.py" >/dev/null
  # shellcheck disable=SC2086  # SANITY_ARGS is a list of words on purpose
  ansible-test sanity --venv --python "$PYVER" --color no ${SANITY_ARGS:-}
}

step_units() {
  cd "$TREE"
  if [[ -z "$(find tests/unit -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -n 1 || true)" ]]; then
    echo "FAIL: no unit tests found (tests/unit/**/test_*.py); refusing to pass without running any"
    return 1
  fi
  "$PY" "$REPO/scripts/seed_get_pip.py" >/dev/null
  # An older core's ansible-test may need older test tools: its extra requirements go into
  # this throwaway tree's requirements.txt for this step only.
  local core_requirements="tests/unit/requirements-core$CORE.txt"
  if [[ -n "$CORE" && -f "$core_requirements" ]]; then
    cp tests/unit/requirements.txt tests/unit/requirements.txt.orig
    trap 'mv tests/unit/requirements.txt.orig tests/unit/requirements.txt' RETURN
    cat "$core_requirements" >> tests/unit/requirements.txt
  fi
  # shellcheck disable=SC2086
  ansible-test units --venv --python "$PYVER" --color no ${UNITS_ARGS:-}
  if grep -qE 'All targets skipped|No tests found|no tests ran' "$LOG"; then
    echo "FAIL: ansible-test units ran no test"
    return 1
  fi
}

# A headless Chromium for tests/integration/test_report_view.py, when node and npm exist (npm's
# @sparticuz/chromium carries its own browser); installed once into tests/output/browser.
install_report_browser() {
  command -v node >/dev/null && command -v npm >/dev/null || return 0
  local dir="$REPO/tests/output/browser"
  mkdir -p "$dir"
  cp "$REPO/tests/browser/package.json" "$REPO/tests/browser/screenshot.js" "$dir/"
  if [[ ! -d "$dir/node_modules/puppeteer-core" ]]; then
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) || { echo "report browser: npm install failed; its test will skip"; return 0; }
  fi
  export REPORT_BROWSER_DIR="$dir" REPORT_ARTIFACT_DIR="$REPO/tests/output/report-screenshots"
}

# PYTEST_ARGS split as a shell would (quotes kept together: -k 'rollout or report'), into PYTEST_EXTRA.
split_pytest_args() {
  PYTEST_EXTRA=()
  [[ -n "${PYTEST_ARGS:-}" ]] || return 0
  mapfile -t PYTEST_EXTRA < <("$PY" -c 'import os, shlex; print("\n".join(shlex.split(os.environ["PYTEST_ARGS"])))')
}

step_integration() {
  cd "$TREE"
  install_report_browser
  # Older cores' environments, for the tests that run a playbook with each supported core.
  SEPM_OLDER_CORE_VENVS="$(find "$REPO" -maxdepth 1 -name '.venv-core*' -type d | sort | tr '\n' ' ')"
  export SEPM_OLDER_CORE_VENVS
  local rc
  # Most of a test's time is the emulator's accelerated clock and ansible-playbook starting: two
  # workers (each with its own emulators) halve the wait. Tests that run modules inside the
  # pytest process get a plain run of their own (see the in_process marker in pytest.ini).
  local workers=0 plain=0
  split_pytest_args
  "$PY" -m pytest tests/integration -m "not in_process and not eda" -n "${INTEGRATION_WORKERS:-2}" "${PYTEST_EXTRA[@]}" || workers=$?
  "$PY" -m pytest tests/integration -m in_process "${PYTEST_EXTRA[@]}" || plain=$?
  if [[ $workers -eq 5 && $plain -eq 5 ]]; then
    echo "FAIL: pytest collected no tests in tests/integration (exit code 5)"
    return 5
  fi
  # One run that selected nothing (exit 5) is fine when the other ran tests.
  for rc in $workers $plain; do
    if [[ $rc -ne 0 && $rc -ne 5 ]]; then return "$rc"; fi
  done
  return 0
}

step_eda() {
  cd "$TREE"
  export SEPM_EDA_VENV="$REPO/.venv-eda"
  if [[ ! -x "$SEPM_EDA_VENV/bin/ansible-rulebook" ]]; then
    echo "FAIL: no ansible-rulebook in $SEPM_EDA_VENV; run 'make venv-eda'"
    return 1
  fi
  if [[ -z "${JAVA_HOME:-}" ]] && ! command -v java >/dev/null; then
    echo "FAIL: ansible-rulebook needs Java 17 or later: java on PATH or JAVA_HOME"
    return 1
  fi
  local rc=0
  split_pytest_args
  "$PY" -m pytest tests/integration -m eda "${PYTEST_EXTRA[@]}" || rc=$?
  if [[ $rc -eq 5 ]]; then echo "FAIL: pytest selected no eda test in tests/integration"; fi
  return "$rc"
}

step_lint() {
  cd "$TREE"
  # The whole collection, as Galaxy users and ansible-lint's production profile see it.
  ansible-lint --offline --profile production --nocolor
}

step_galaxy() {
  cd "$TREE"
  local build
  build="$(mktemp -d)"
  # What Galaxy's importer says about the tarball users install (no container: the
  # importer's own ansible-test run is off; sanity runs in the sanity step).
  ansible-galaxy collection build --output-path "$build" .
  local tarball
  tarball="$(ls "$build"/endpoint_ops-sepm-*.tar.gz)"
  echo "== the tarball's top-level entries:"
  tar -tzf "$tarball" | cut -d/ -f1-2 | sort -u | tr '\n' ' '; echo
  if tar -tzf "$tarball" | grep -E '^(Makefile|scripts/|tests/emulator/|tests/bench/|tests/data/|extensions/molecule/)'; then
    echo "FAIL: development files in the tarball (galaxy.yml build_ignore)"
    return 1
  fi
  cat > "$build/galaxy-importer.cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
CHECK_REQUIRED_TAGS = False
LOG_LEVEL_MAIN = INFO
CFG
  local importer_log="$build/importer.log"
  GALAXY_IMPORTER_CONFIG="$build/galaxy-importer.cfg" "$PY" -m galaxy_importer.main "$tarball" 2>&1 | tee "$importer_log"
  # The importer exits 0 on most findings; its warnings and errors are what Galaxy shows users.
  if grep -E '^(WARNING|ERROR)|Traceback' "$importer_log"; then
    echo "FAIL: galaxy-importer reported the lines above"
    return 1
  fi
  echo "== antsibull-docs lint-collection-docs --plugin-docs"
  antsibull-docs lint-collection-docs --plugin-docs .
  echo "== ansible-builder create (execution environment definition)"
  (cd "$build" && ansible-builder create -f "$TREE/extensions/awx/ee/execution-environment.yml" -c "$build/ee-context")
  rm -rf "$build"
}

step_molecule() {
  cd "$TREE"
  local scenarios
  scenarios="$(find . -path ./tests/output -prune -o -name molecule.yml -path '*molecule/*' -print | head -n 1 || true)"
  if [[ -z "$scenarios" ]]; then
    echo "SKIP: no molecule scenarios yet"
    echo "no molecule scenarios yet" > "$NOTEFILE"
    return 0
  fi
  if [[ -d extensions/molecule ]]; then
    # molecule keeps each scenario's state (and the emulator's pid and password) in
    # $ANSIBLE_HOME/tmp/molecule.<hash of "extensions">.<scenario>: the same for every run, so
    # give each run its own ANSIBLE_HOME or concurrent runs stop each other's emulator.
    # The scenarios run side by side (each has its own emulator): most of their time is the
    # emulator's clock and ansible-playbook starting, not CPU.
    local scenario failed=0 pids=() names=()
    for scenario in extensions/molecule/*/molecule.yml; do
      scenario="$(basename "$(dirname "$scenario")")"
      (cd extensions && ANSIBLE_HOME="$COLLECTIONS_ROOT/.ansible-home-$scenario" \
        molecule test -s "$scenario" >"$LOGDIR/molecule-$scenario.log" 2>&1) &
      pids+=("$!"); names+=("$scenario")
    done
    for i in "${!pids[@]}"; do
      if wait "${pids[$i]}"; then
        echo "molecule scenario ${names[$i]}: PASS (log: tests/output/logs/molecule-${names[$i]}.log)"
      else
        failed=1
        echo "molecule scenario ${names[$i]}: FAIL; the end of tests/output/logs/molecule-${names[$i]}.log:"
        tail -n 60 "$LOGDIR/molecule-${names[$i]}.log"
      fi
    done
    return "$failed"
  else
    echo "FAIL: molecule scenarios found outside extensions/molecule; teach scripts/test.sh where to run them"
    return 1
  fi
}

# ---------------------------------------------------------------- runner

declare -a SUMMARY=()
passed=0 failed=0 skipped=0

show_failure() {  # $1 step, $2 log
  echo "----- $1 FAILED; from $2:"
  case "$1" in
    sanity)
      # ansible-test prints every finding as "ERROR: path:line:col: test: message";
      # a failing tool's own output (e.g. ansible-doc) follows an "ERROR: Command" line.
      awk '/^Running sanity test/ { n = 0 }
           /^ERROR: Command "\/usr\/bin\/env ANSIBLE_TEST_CONTENT_ROOT/ { next }
           /^ERROR: Command/ { n = 20 }
           /^(ERROR|FATAL):/ && !/returned exit status 1\.$/ { print; next }
           n > 0 { print; n-- }' "$2" | head -n 250 || true
      echo "  (last lines)"; tail -n 15 "$2" | sed 's/^/  /' ;;
    units|integration|eda)
      # pytest's short test summary (-ra) and closing line
      sed -n '/short test summary info/,$p' "$2" | head -n 120 || true
      grep -q 'short test summary info' "$2" || tail -n 60 "$2" ;;
    *)
      tail -n 60 "$2" ;;
  esac
  echo "-----"
}

for step in "$@"; do
  name="${step%@*}" core=""
  if [[ $step == *@* ]]; then core="${step#*@}"; fi
  if ! declare -F "step_$name" >/dev/null || [[ -n $core && $name != sanity && $name != units ]]; then
    echo "test.sh: unknown step '$step' (known: sanity units integration lint molecule galaxy eda, sanity@CORE units@CORE)" >&2
    exit 2
  fi
  logname="$name${core:+-core$core}"
  LOG="$LOGDIR/$logname.log"
  NOTEFILE="$(mktemp)"
  echo "==> $step (log: tests/output/logs/$logname.log)"
  start=$SECONDS
  set +e
  ( set -euo pipefail; use_core "$core"; "step_$name" ) </dev/null >"$LOG" 2>&1
  rc=$?
  set -e
  took=$((SECONDS - start))
  note="$(cat "$NOTEFILE")"; rm -f "$NOTEFILE"
  closing=""
  if [[ $name == units || $name == integration || $name == eda ]]; then closing="$(pytest_closing_line "$LOG")"; fi
  short="$(sed -E 's/^=+ //; s/ =+$//' <<<"$closing")"
  if [[ $rc -eq 0 && -n "$note" ]]; then
    status=SKIP; skipped=$((skipped + 1)); detail="$note"
  elif [[ $rc -eq 0 ]]; then
    status=PASS; passed=$((passed + 1)); detail="$short"
  else
    status=FAIL; failed=$((failed + 1)); detail="exit $rc${short:+; $short}"
    if [[ $step == integration && $rc -eq 5 ]]; then detail="exit 5: NO TESTS RAN${short:+ ($short)}"; fi
    show_failure "$name" "$LOG"
  fi
  if [[ -n "$closing" ]]; then echo "$closing"; fi
  echo "<== $step: $status in ${took}s"
  SUMMARY+=("$(printf '  %-12s %-4s %5ss  %s' "$step" "$status" "$took" "$detail")")
done

# Keep ansible-test's own reports beside the logs.
if [[ -d "$TREE/tests/output" ]]; then
  rm -rf "$REPO/tests/output/ansible-test"
  mkdir -p "$REPO/tests/output/ansible-test"
  (cd "$TREE/tests/output" && tar --exclude=./.tmp -cf - .) | tar -xf - -C "$REPO/tests/output/ansible-test" || true
fi

echo
echo "Summary (logs in tests/output/logs/):"
printf '%s\n' "${SUMMARY[@]}"
echo "steps: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
