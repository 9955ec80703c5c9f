#!/usr/bin/env bash
# Benchmark: certsmith vs Debian's certbot on the same local Pebble (see bench/README.md).
#
#   bash bench/run.sh [--runs N] [--json PATH] [--certsmith PATH] [--keep] ...          certonly (issue 2)
#   bash bench/run.sh --renew [--scenario a|b|all] [--json PATH] [--certsmith PATH] ...  renew (issue 3)
#
# Builds build/certsmith (RelWithDebInfo, as packaging/demo.sh does) if it is missing and no
# --certsmith was given, then runs bench/certonly_bench.py, or bench/renew_bench.py with --renew,
# with Debian's /usr/bin/python3 (the harness and certbot need Debian's interpreter, not a pyenv
# one first on PATH).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

script=certonly_bench.py
args=()
explicit_binary=no
for arg in "$@"; do
  case "$arg" in
    --renew) script=renew_bench.py; continue ;;
    --certsmith | --certsmith=*) explicit_binary=yes ;;
  esac
  args+=("$arg")
done

if [[ $explicit_binary == no && ! -x "$repo/build/certsmith" ]]; then
  echo "bench: build/certsmith is missing; building it" >&2
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j"${CERTSMITH_JOBS:-2}" --target certsmith
fi

exec /usr/bin/python3 "$repo/bench/$script" ${args[@]+"${args[@]}"}
