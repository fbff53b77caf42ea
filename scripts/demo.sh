#!/usr/bin/env bash
# Run a playbook of this collection against the SEPM emulator (tests/emulator).
#
#   scripts/demo.sh [PLAYBOOK [ansible-playbook options...]]
#
# PLAYBOOK defaults to playbooks/rollout.yml (relative to the collection root): the
# main job, a batched rollout of the newest client patch to every group of the emulated
# fleet, inside an always-open demo window, in accelerated time. Its reports land in
# reports/ of the checkout.
# Starts the emulator on a free loopback port with a fresh CA and a random admin
# password, exports the SEPM_* variables the modules read, runs ansible-playbook
# from the arranged collection tree and stops the emulator on exit.
# DEMO_FLEET (200) and DEMO_TIME_SCALE (300) size and speed up the emulated fleet.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="${VENV:-$REPO/.venv}"
[[ -x "$VENV/bin/python" ]] || { echo "demo: no virtual environment at $VENV; run 'make venv'" >&2; exit 2; }
VENV="$(cd "$VENV" && pwd -P)"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
if ! locale 2>/dev/null | grep -qi 'utf-\?8'; then export LC_ALL=C.UTF-8 LANG=C.UTF-8; fi

PLAYBOOK="${1:-playbooks/rollout.yml}"
[[ $# -gt 0 ]] && shift

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sepm-demo.XXXXXX")"
EMU_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$EMU_PID" ]] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$WORK/emulator.log" ]]; then
    echo "demo: last lines of the emulator's log:" >&2
    tail -n 20 "$WORK/emulator.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TREE="$("$REPO/scripts/collection-tree.sh" "$WORK/collections")"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
cd "$TREE"
[[ -f "$PLAYBOOK" ]] || { echo "demo: $PLAYBOOK not found in the collection" >&2; exit 2; }
[[ -f tests/emulator/__main__.py ]] || { echo "demo: tests/emulator/__main__.py missing: the emulator is not there yet" >&2; exit 2; }

PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"
"$PY" -u -m tests.emulator --port 0 --fleet "${DEMO_FLEET:-200}" --time-scale "${DEMO_TIME_SCALE:-300}" \
  --tls-dir "$WORK/tls" --password "$PASSWORD" </dev/null >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!

PORT=""
for _ in $(seq 300); do   # up to 30 s
  PORT="$(sed -n 's#.*listening https://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$WORK/emulator.log" | head -n 1 || true)"
  [[ -n "$PORT" && -s "$WORK/tls/ca.pem" ]] && break
  kill -0 "$EMU_PID" 2>/dev/null || { echo "demo: the emulator exited before it was ready" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$PORT" && -s "$WORK/tls/ca.pem" ]] || { echo "demo: the emulator did not report 'listening' within 30 s" >&2; exit 1; }
echo "demo: emulator of ${DEMO_FLEET:-200} computers at https://127.0.0.1:$PORT (pid $EMU_PID)"

export SEPM_HOST=127.0.0.1 SEPM_PORT="$PORT" SEPM_USERNAME=admin SEPM_PASSWORD="$PASSWORD" \
       SEPM_CA_PATH="$WORK/tls/ca.pem"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
EXTRA=()
if [[ "$PLAYBOOK" == playbooks/rollout.yml ]]; then
  # The demo window is always open; a real one names days, a start, a duration and a zone.
  cat >"$WORK/demo-vars.yml" <<VARS
rollout_groups: ['My Company']
rollout_windows: [{days: [mon, tue, wed, thu, fri, sat, sun], start: '00:00', duration: 24h, timezone: UTC}]
rollout_serial: [1, '10%', '25%']
rollout_policy_timeout: 600
rollout_delivery_timeout: 1200
rollout_restart_timeout: 1200
rollout_poll_interval: 1
rollout_report_dir: '$REPO/reports'
VARS
  EXTRA=(-e "@$WORK/demo-vars.yml")
fi
ansible-playbook "$PLAYBOOK" "${EXTRA[@]}" "$@"
