#!/usr/bin/env bash
# Installs dependencies, builds certsmith and runs every test: unit tests (ctest)
# and the end-to-end tests against a real Pebble, first in a RelWithDebInfo build,
# then again in a build with AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   bash tests/run.sh           everything (what CI runs)
#   bash tests/run.sh --quick   skip the sanitizer pass
#
# Extra arguments after `--` go to pytest (e.g. `-- -k webroot -x`).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

quick=0
pytest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "tests/run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

jobs=${CERTSMITH_JOBS:-2}
# Debian's interpreter has python3-pytest; a pyenv python first on PATH would not.
python=/usr/bin/python3
results=()
failed=0
tests_passed=0
tests_failed=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

step() { echo; echo "=== $* ==="; }

record() { # record NAME STATUS
  results+=("$1: $2")
  if [[ "$2" != passed ]]; then failed=1; fi
}

count_ctest() { # adds "N% tests passed, F tests failed out of T" to the totals
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n1 || true)
  [[ -n "$line" ]] || return 0
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  tests_passed=$((tests_passed + total - bad))
  tests_failed=$((tests_failed + bad))
}

count_pytest() { # adds pytest's closing "N passed, M failed, K errors" to the totals
  local line n
  line=$(grep -E '^=*\s*[0-9]+ (passed|failed|error)' "$1" | tail -n1 || true)
  [[ -n "$line" ]] || return 0
  n=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  tests_passed=$((tests_passed + n))
  for word in failed errors error; do
    n=$(grep -oE "[0-9]+ $word\b" <<<"$line" | grep -oE '[0-9]+' || echo 0)
    tests_failed=$((tests_failed + n))
  done
}

build() { # build BUILD_DIR BUILD_TYPE CMAKE_ARGS... (configure and compile; output on stdout)
  local dir=$1 type=$2
  shift 2
  cmake -S "$repo" -B "$repo/$dir" -DCMAKE_BUILD_TYPE="$type" -DCERTSMITH_WERROR=ON "$@" >/dev/null \
    && cmake --build "$repo/$dir" -j"$jobs"
}

test_suite() { # test_suite LABEL BUILD_DIR: unit tests, then end-to-end tests
  local label=$1 dir=$2
  step "$label: unit tests (ctest)"
  if ctest --test-dir "$repo/$dir" --output-on-failure -j"$jobs" | tee "$logdir/ctest.out"; then
    record "$label unit tests" passed
  else
    record "$label unit tests" failed
  fi
  count_ctest "$logdir/ctest.out"

  step "$label: end-to-end tests (pytest, real Pebble)"
  if CERTSMITH_BIN="$repo/$dir/certsmith" "$python" -m pytest -q -p no:cacheprovider \
    ${parallel_e2e[@]+"${parallel_e2e[@]}"} tests/e2e ${pytest_args[@]+"${pytest_args[@]}"} \
    | tee "$logdir/pytest.out"; then
    record "$label e2e tests" passed
  else
    record "$label e2e tests" failed
  fi
  count_pytest "$logdir/pytest.out"
}

sanitizer_env() {
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Sanitized runs are slower: give each certsmith invocation more time.
  export CERTSMITH_E2E_TIMEOUT=${CERTSMITH_E2E_TIMEOUT:-240}
}

step "dependencies"
bash "$repo/packaging/install-deps.sh" --test

# The end-to-end tests mostly wait on Pebble, certbot and timeouts, not on the CPU: run several test
# files at once (pytest-xdist; a file's tests stay together because they share its Pebble).
e2e_workers=${CERTSMITH_E2E_WORKERS:-4}
parallel_e2e=()
if [[ $e2e_workers -gt 1 ]] && "$python" -c 'import xdist' 2>/dev/null; then
  parallel_e2e=(-n "$e2e_workers" --dist loadfile)
fi

step "release: configure and build (build, RelWithDebInfo)"
release_built=0
if build build RelWithDebInfo; then
  record "release build" passed
  release_built=1
else
  record "release build" failed
fi

# The sanitizer build compiles while the release end-to-end tests mostly wait on Pebble and certbot:
# started in the background, it takes minutes off the run.
asan_pid=
if [[ $quick -eq 0 ]]; then
  (build build-asan Debug -DCERTSMITH_SANITIZE=ON >"$logdir/asan-build.out" 2>&1) &
  asan_pid=$!
fi

if [[ $release_built -eq 1 ]]; then
  test_suite release build
fi

if [[ -n "$asan_pid" ]]; then
  step "sanitizers: configure and build (build-asan, Debug; compiled in the background)"
  if wait "$asan_pid"; then
    tail -n 3 "$logdir/asan-build.out"
    record "sanitizers build" passed
    sanitizer_env
    test_suite sanitizers build-asan
  else
    cat "$logdir/asan-build.out"
    record "sanitizers build" failed
  fi
fi

echo
echo "=== summary ==="
printf '  %s\n' "${results[@]}"
if [[ $failed -ne 0 ]]; then
  echo "tests/run.sh: FAILED"
else
  echo "tests/run.sh: all passed"
fi
# Last line: the totals over every ctest and pytest run above.
echo "tests: $tests_passed passed, $tests_failed failed"
exit "$failed"
