#!/usr/bin/env bash
# Run the benchmarks under tests/bench/ (bench_*.py scripts) in the arranged
# collection tree with the project's virtual environment. Arguments go to each script.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="${VENV:-$REPO/.venv}"
[[ -x "$VENV/bin/python" ]] || { echo "bench: no virtual environment at $VENV; run 'make venv'" >&2; exit 2; }
VENV="$(cd "$VENV" && pwd -P)"
export PATH="$VENV/bin:$PATH"
if ! locale 2>/dev/null | grep -qi 'utf-\?8'; then export LC_ALL=C.UTF-8 LANG=C.UTF-8; fi

ANSIBLE_COLLECTIONS_PATH="$(mktemp -d "${TMPDIR:-/tmp}/sepm-bench.XXXXXX")"
export ANSIBLE_COLLECTIONS_PATH
trap 'rm -rf "$ANSIBLE_COLLECTIONS_PATH"' EXIT
TREE="$("$REPO/scripts/collection-tree.sh" "$ANSIBLE_COLLECTIONS_PATH")"
cd "$TREE"

shopt -s nullglob
benches=(tests/bench/bench_*.py)
[[ ${#benches[@]} -gt 0 ]] || { echo "bench: no tests/bench/bench_*.py" >&2; exit 2; }
rc=0
for bench in "${benches[@]}"; do
  echo "==> $bench"
  start=$SECONDS
  "$VENV/bin/python" "$bench" "$@" || rc=1
  echo "<== $bench: $((SECONDS - start))s"
done
exit "$rc"
