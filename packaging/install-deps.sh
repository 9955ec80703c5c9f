#!/usr/bin/env bash
# Installs the Debian 12 packages certsmith needs to build (and, with --test,
# to run its end-to-end tests against a local Pebble). Idempotent: packages
# already installed are not touched and apt-get runs only when one is missing.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config libssl-dev libcurl4-openssl-dev libidn2-dev libldns-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev catch2 libmicrohttpd-dev
  libpsl-dev publicsuffix # lib/ratelimit: registered domains for the issuance ledger
  scdoc # man/*.scd: renders the man pages at build time (the build goes on without it)
  dpkg-dev # packaging/deb/build-deb.sh: dpkg-shlibdeps finds the Depends of the .deb
)
test_packages=(
  pebble python3 python3-pytest openssl curl nginx-light certbot bind9 bind9-utils bind9-dnsutils
  clang libclang-rt-14-dev
  python3-aiosmtpd # test_notify.py: the local SMTP server
  python3-prometheus-client # test_metrics.py: the Prometheus text-format parser
  python3-pytest-xdist # tests/run.sh runs several end-to-end test files at once
  shellcheck # test_shipped_hooks.py: every shipped hook must pass shellcheck
  mandoc groff-base man-db # test_man_pages.py: mandoc -T lint, groff -ww and man -l on every page
  zsh fish # test_completions.py: the zsh and fish completions load and complete in a real shell
  lintian # test_deb_package.py: the .deb has no lintian tag without a stated reason
  systemd strace # test_systemd_units.py, test_serve_systemd_unit.py: systemd-analyze verify; serve's system calls
)

usage() {
  echo "usage: $0 [--test]" >&2
  echo "  --test   also install what the tests need (pebble, pytest, nginx, certbot, clang)" >&2
}

wanted=("${build_packages[@]}")
for arg in "$@"; do
  case "$arg" in
    --test) wanted+=("${test_packages[@]}") ;;
    -h|--help) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done

is_installed() {
  dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#wanted[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

still_missing=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || still_missing+=("$pkg")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after apt-get: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
