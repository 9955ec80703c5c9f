#!/bin/sh
# Build and run the nothing-due micro benchmark of renew/ (expiry index, ARI
# cache, due-ness) against an optimised build of the libraries, no CMake
# target needed. Usage: bench/renew_due_micro.sh [N ...]   (default 1000 10000)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build-bench}
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCERTSMITH_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target certsmith_renew >/dev/null
g++ -std=c++20 -O2 -I"$here/lib" -I"$build/generated" "$here/bench/renew_due_micro.cpp" \
  "$build/libcertsmith_renew.a" "$build/libcertsmith_acme.a" "$build/libcertsmith_store.a" \
  "$build/libcertsmith_http.a" "$build/libcertsmith_crypto.a" "$build/libcertsmith_util.a" \
  -lcurl -lssl -lcrypto -lfmt -pthread -o "$build/renew_due_micro"
[ $# -gt 0 ] || set -- 1000 10000
for n in "$@"; do "$build/renew_due_micro" "$n"; done
