#!/usr/bin/env bash
# Demo: installs dependencies, builds certsmith, starts a local Pebble ACME
# server (+ pebble-challtestsrv as its DNS) on free loopback ports, obtains a
# two-name certificate into a scratch config dir and lists it.
#
#   bash packaging/demo.sh      (as root the first time: it installs packages)
#
# The scratch tree stays in ./.scratch/demo for you to look at; re-running
# starts it afresh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
python=/usr/bin/python3
scratch="$repo/.scratch/demo"
jobs=${CERTSMITH_JOBS:-2}

echo "=== dependencies ==="
bash "$repo/packaging/install-deps.sh" --test

echo "=== build (build/) ==="
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" -j"$jobs" --target certsmith
certsmith="$repo/build/certsmith"

rm -rf "$scratch"
mkdir -p "$scratch"

echo "=== starting Pebble and pebble-challtestsrv ==="
"$python" "$repo/tests/e2e/pebble_env.py" up --state-dir "$scratch/pebble" >"$scratch/pebble-env.out" 2>&1 &
harness=$!
stop_pebble() {
  if kill -0 "$harness" 2>/dev/null; then
    kill "$harness" 2>/dev/null || true
    wait "$harness" 2>/dev/null || true
  fi
}
trap stop_pebble EXIT

for _ in $(seq 1 300); do
  [[ -f "$scratch/pebble/env" ]] && break
  if ! kill -0 "$harness" 2>/dev/null; then
    echo "demo: Pebble did not start:" >&2
    cat "$scratch/pebble-env.out" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -f "$scratch/pebble/env" ]] || { echo "demo: Pebble did not start within 30 s" >&2; exit 1; }
# shellcheck disable=SC1091
source "$scratch/pebble/env"
echo "Pebble directory: $PEBBLE_DIRECTORY_URL (http-01 validated on port $PEBBLE_HTTP_PORT)"

dirs=(--config-dir "$scratch/config" --work-dir "$scratch/work" --logs-dir "$scratch/logs")

echo
echo "=== certsmith certonly ==="
set -x
REQUESTS_CA_BUNDLE="$PEBBLE_CA_BUNDLE" "$certsmith" certonly --standalone \
  -d demo.example.com -d www.demo.example.com \
  --register-unsafely-without-email --agree-tos \
  "${dirs[@]}" --server "$PEBBLE_DIRECTORY_URL" --http-01-port "$PEBBLE_HTTP_PORT" -n
{ set +x; } 2>/dev/null

echo
echo "=== certsmith certificates ==="
set -x
"$certsmith" certificates "${dirs[@]}"
{ set +x; } 2>/dev/null

stop_pebble
trap - EXIT
echo
echo "demo: done. The certificate tree is in $scratch/config (Pebble's logs in $scratch/pebble)."
