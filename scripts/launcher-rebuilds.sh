#!/usr/bin/env bash
# Checks the launcher's staleness test: ./jgrad rebuilds the jar after a source file changes,
# and not on the next run. Exits 1 otherwise. Touches one source file (its time stamp only).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rebuilt() { # runs ./jgrad --version; true when it said it was building the jar
  local said
  said=$("$root/jgrad" --version 2>&1 >/dev/null)
  [[ $said == *"building the jar"* ]]
}
rebuilt || true # built and cached
if rebuilt; then echo "launcher-rebuilds: rebuilt although nothing changed" >&2; exit 1; fi
touch "$root/jgrad-core/src/main/java/dev/jgrad/io/Json.java"
if ! rebuilt; then echo "launcher-rebuilds: a changed source did not rebuild the jar" >&2; exit 1; fi
if rebuilt; then echo "launcher-rebuilds: rebuilt twice for one change" >&2; exit 1; fi
echo "launcher-rebuilds: rebuilds after a source change, and only then"
