# shellcheck shell=sh
# hooks/common.sh: the functions every deploy hook in hooks/deploy/ shares, sourced by each
# (installed as /usr/share/certsmith/hooks/common.sh beside deploy/). Not a hook itself.

hook_name=${0##*/}

# Untrusted text made safe for one line of a terminal or log: control characters become '?'.
hook_printable() {
  printf '%s' "$1" | LC_ALL=C tr -c '[:print:]' '?'
}

hook_info() {
  printf '%s: %s\n' "$hook_name" "$(hook_printable "$1")"
}

# One line on stderr, then exit 1.
hook_die() {
  printf '%s: error: %s\n' "$hook_name" "$(hook_printable "$1")" >&2
  exit 1
}

# Sets lineage (RENEWED_LINEAGE without trailing slashes), lineage_name (its last component)
# and domains (RENEWED_DOMAINS, printable, for messages only: never split or evaluated).
# Refuses anything but an absolute directory holding the four readable PEM files.
hook_read_lineage() {
  lineage=${RENEWED_LINEAGE-}
  [ -n "$lineage" ] ||
    hook_die "RENEWED_LINEAGE is not set: run this as a deploy hook of certsmith or certbot"
  case $lineage in
    *[[:cntrl:]]*) hook_die "RENEWED_LINEAGE contains a control character: $lineage" ;;
    /*) ;;
    *) hook_die "RENEWED_LINEAGE is not an absolute path: $lineage" ;;
  esac
  while :; do
    case $lineage in
      ?*/) lineage=${lineage%/} ;;
      *) break ;;
    esac
  done
  lineage_name=${lineage##*/}
  case $lineage_name in
    '' | .* | -*) hook_die "RENEWED_LINEAGE does not name a lineage directory: $lineage" ;;
  esac
  [ -d "$lineage" ] || hook_die "RENEWED_LINEAGE is not a directory: $lineage"
  for hook_pem in cert chain fullchain privkey; do
    if ! { [ -f "$lineage/$hook_pem.pem" ] && [ -r "$lineage/$hook_pem.pem" ]; }; then
      hook_die "$lineage/$hook_pem.pem is missing, unreadable or a dangling link"
    fi
  done
  # shellcheck disable=SC2034 # used by the script around this block
  domains=$(hook_printable "${RENEWED_DOMAINS-}")
}

hook_have() {
  command -v "$1" >/dev/null 2>&1
}

# A unit or service name from the environment: letters, digits and . _ @ - only.
hook_check_service_name() {
  case $1 in
    '' | -* | *[!A-Za-z0-9._@-]*) hook_die "invalid service name: $1" ;;
  esac
}

# Runs a daemon's configuration test (the command and its arguments); a failure stops the hook
# before any reload, with the test's first line of output as the reason.
hook_config_test() {
  hook_have "$1" || hook_die "$1 not found: cannot test the configuration (is the daemon installed?)"
  if ! hook_out=$("$@" 2>&1); then
    hook_die "configuration test '$*' failed, not reloading: $(printf '%s\n' "$hook_out" | head -n 1)"
  fi
}

# hook_service reload|restart SERVICE [DAEMON-COMMAND...]
# systemd when it runs (only a running unit is touched), else service(8), else the daemon's own
# command when one is given.
hook_service() {
  hook_action=$1
  hook_unit=$2
  shift 2
  hook_check_service_name "$hook_unit"
  hook_systemctl=${CERTSMITH_HOOK_SYSTEMCTL:-systemctl}
  hook_sysv=${CERTSMITH_HOOK_SERVICE:-service}
  if [ -d "${CERTSMITH_HOOK_SYSTEMD_DIR:-/run/systemd/system}" ] && hook_have "$hook_systemctl"; then
    case $hook_action in
      reload) set -- "$hook_systemctl" try-reload-or-restart "$hook_unit" ;;
      *) set -- "$hook_systemctl" try-restart "$hook_unit" ;;
    esac
  elif hook_have "$hook_sysv"; then
    set -- "$hook_sysv" "$hook_unit" "$hook_action"
  elif [ $# -eq 0 ]; then
    hook_die "cannot $hook_action $hook_unit: neither systemd nor $hook_sysv found"
  fi
  "$@" || hook_die "'$*' failed with exit status $?"
}
