#!/usr/bin/env bash
# Arrange this checkout as <root>/ansible_collections/endpoint_ops/sepm, which is
# the layout ansible-test, ansible-playbook and ansible-lint need to find the
# collection, and print that collection directory on stdout (nothing else goes
# to stdout). The checkout itself may live in a folder of any name.
#
#   scripts/collection-tree.sh [--where] [ROOT]
#
# --where only prints the collection directory, without copying anything.
#
# ROOT (or $SEPM_TREE_ROOT) defaults to a folder in ${TMPDIR:-/tmp} named after
# the checkout's path, so repeated runs reuse the same place. Use ROOT as
# ANSIBLE_COLLECTIONS_PATH. The copy is refreshed from scratch on every call,
# except its tests/output (ansible-test's results), which is kept.
#
# Copied: the files git tracks plus the untracked files it does not ignore
# (git ls-files -co --exclude-standard); without git, everything but .git,
# .venv, tests/output and caches.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
NAMESPACE=endpoint_ops
NAME=sepm

where_only=false
if [[ "${1:-}" == "--where" ]]; then where_only=true; shift; fi

if [[ $# -ge 1 && -n "$1" ]]; then
  ROOT="$1"
elif [[ -n "${SEPM_TREE_ROOT:-}" ]]; then
  ROOT="$SEPM_TREE_ROOT"
else
  sum="$(printf '%s' "$SRC" | cksum | cut -d' ' -f1)"
  ROOT="${TMPDIR:-/tmp}/sepm-collection-$sum"
fi

if $where_only; then
  printf '%s\n' "$ROOT/ansible_collections/$NAMESPACE/$NAME"
  exit 0
fi

mkdir -p "$ROOT"
ROOT="$(cd "$ROOT" && pwd -P)"
DEST="$ROOT/ansible_collections/$NAMESPACE/$NAME"

case "$DEST/" in
  "$SRC/"*) echo "collection-tree: $DEST lies inside the checkout $SRC; choose another root" >&2; exit 2 ;;
esac

# Keep ansible-test's results between runs; replace everything else.
keep=""
if [[ -d "$DEST/tests/output" ]]; then
  keep="$(mktemp -d "$ROOT/.keep.XXXXXX")"
  mv "$DEST/tests/output" "$keep/output"
fi
rm -rf "$DEST"
mkdir -p "$DEST"

if command -v git >/dev/null 2>&1 && git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
   && [[ "$(git -C "$SRC" rev-parse --show-toplevel)" -ef "$SRC" ]]; then
  how="git ls-files"
  # -c lists tracked files even when deleted from the work tree: copy only those present.
  (cd "$SRC" && git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' f; do
        if [[ -e "$f" || -L "$f" ]]; then printf '%s\0' "$f"; fi
      done \
    | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$DEST"
else
  how="plain copy"
  (cd "$SRC" && tar -cf - \
      --exclude=./.git --exclude=./.venv --exclude=./tests/output \
      --exclude=__pycache__ --exclude=.pytest_cache --exclude=.hypothesis \
      --exclude=./.ansible --exclude='*.pyc' .) | tar -xf - -C "$DEST"
fi

if [[ -n "$keep" ]]; then
  mkdir -p "$DEST/tests"
  mv "$keep/output" "$DEST/tests/output"
  rmdir "$keep"
fi

echo "collection-tree: $SRC -> $DEST ($how, $(find "$DEST" -path "$DEST/tests/output" -prune -o -type f -print | wc -l) files)" >&2
printf '%s\n' "$DEST"
