# bash completion for certsmith: subcommands, flags, flag values and the
# certificate names of the config dir (renewal/*.conf).
# Installed as /usr/share/bash-completion/completions/certsmith (loaded on
# demand by the bash-completion package), or sourced from ~/.bashrc.
#
# Needs nothing from bash-completion. Cert names come from reading the config
# dir (root-only on most systems: a user who cannot read it gets no names),
# never from running certsmith. File names are only compared and quoted, never
# passed to eval or to compgen -W (which would expand $(...) inside them).
# tests/e2e/test_completions.py fails when certsmith --help lists a subcommand
# or flag missing here.

_certsmith_subcommands=(
  certonly certificates renew revoke delete register
  update_account update-account show_account show-account unregister
  rollover-account-key rollover_account_key reconfigure
  update_symlinks update-symlinks serve doctor certbot-flags
)

# Flags that take no value.
_certsmith_switches=(
  -h --help --version --notify-on-success --staging --test-cert
  -n --non-interactive --noninteractive -q --quiet -v --verbose --agree-tos
  --register-unsafely-without-email --standalone --webroot --redirect-https
  --force-renewal --renew-by-default --keep-until-expiring --keep --reinstall
  --no-directory-hooks --disable-hook-validation --dry-run --run-deploy-hooks
  --no-random-sleep-on-renew --reuse-key --no-autorenew --no-preflight
  --no-reuse-key --new-key --json --strict-rate-limits --bootstrap-self-signed
  --fallback-self-signed --renew-with-new-domains --delete-after-revoke
  --no-delete-after-revoke --no-eff-email --expand --duplicate --must-staple
  --dns-rfc2136 --manual --ignore-rate-limit-backoff --no-fallback --purge
  --no-notify
)

# Flags that take a value (the next word, or --flag=value).
_certsmith_options=(
  --notify-email --notify-smtp-url --notify-smtp-credentials --notify-from
  --notify-webhook --notify-expiry-days --notify-interval --notify-ca-bundle --config-dir
  --work-dir --logs-dir -c --config --max-log-backups --server --ca-bundle
  --user-agent --user-agent-comment -d --domains --domain --cert-name
  -m --email -a --authenticator -w --webroot-path --webroot-map --http-01-port
  --http-01-address --serve-token-dir --key-type --rsa-key-size
  --elliptic-curve --pre-hook --post-hook --deploy-hook --renew-hook --jobs
  --metrics-file --rate-limit-per-domain --rate-limit-duplicates
  --issuance-timeout --fallback-cert --fallback-key --cert-path --key-path
  --reason --account --eab-kid --eab-hmac-key --eab-hmac-alg --ip-address
  --csr --chain-path --fullchain-path --preferred-chain --preferred-profile
  --required-profile --dns-rfc2136-credentials
  --dns-rfc2136-propagation-seconds --dns-propagation-seconds --dns-resolvers
  --manual-auth-hook --manual-cleanup-hook --preferred-challenges
  --tls-alpn-01-port
)

# Adds to COMPREPLY each remaining argument that starts with $1, literally
# (no pattern, no expansion), quoted for the command line when $2 is "quote".
_certsmith_add_matches() {
  local prefix=$1 mode=$2 word quoted
  shift 2
  for word in "$@"; do
    [[ $word == "$prefix"* ]] || continue
    if [[ $mode == quote ]]; then
      printf -v quoted '%q' "$word"
      COMPREPLY+=("$quoted")
    else
      COMPREPLY+=("$word")
    fi
  done
}

# Whether $1 is a flag that takes a value.
_certsmith_takes_value() {
  local option
  for option in "${_certsmith_options[@]}"; do
    [[ $1 == "$option" ]] && return 0
  done
  return 1
}

# The config dir given on the line so far (--config-dir DIR, --config-dir=DIR),
# else certbot's default. A leading ~/ becomes $HOME/; nothing else is expanded.
_certsmith_config_dir() {
  local dir=/etc/letsencrypt i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == --config-dir=?* ]]; then
      dir=${word#--config-dir=}
    elif [[ $word == --config-dir ]]; then
      # "=" is a word of its own when COMP_WORDBREAKS holds it (the default).
      if [[ ${COMP_WORDS[i + 1]} == = ]]; then
        ((i + 2 < COMP_CWORD)) && dir=${COMP_WORDS[i + 2]}
      elif ((i + 1 < COMP_CWORD)); then
        dir=${COMP_WORDS[i + 1]}
      fi
    fi
  done
  [[ $dir == \~/* ]] && dir=$HOME/${dir#\~/}
  printf '%s\n' "$dir"
}

# Completes lineage names: renewal/NAME.conf in the config dir, skipping names
# certsmith would refuse (starting with '.' or '-', holding control characters).
_certsmith_complete_cert_names() {
  local cur=$1 dir path name restore_nullglob=0 restore_failglob=0
  local -a names=()
  dir=$(_certsmith_config_dir)
  [[ -d $dir/renewal && -r $dir/renewal ]] || return 0
  shopt -q nullglob || restore_nullglob=1
  shopt -q failglob && restore_failglob=1
  shopt -s nullglob
  shopt -u failglob
  for path in "$dir"/renewal/*.conf; do
    name=${path##*/}
    name=${name%.conf}
    [[ -n $name && $name != [.-]* && $name != *[[:cntrl:]]* ]] || continue
    names+=("$name")
  done
  ((restore_nullglob)) && shopt -u nullglob
  ((restore_failglob)) && shopt -s failglob
  # What was typed may be quoted or backslash-escaped: compare without quoting.
  cur=${cur//\\/}
  cur=${cur#[\"\']}
  _certsmith_add_matches "$cur" quote "${names[@]}"
}

_certsmith() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local i word have_subcommand=0
  COMPREPLY=()

  # --flag=value: complete the value of the flag before "=".
  if [[ $cur == = ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  elif [[ $cur == --*=* ]]; then
    prev=${cur%%=*}
    cur=${cur#*=}
  fi

  if _certsmith_takes_value "$prev"; then
    case $prev in
      --cert-name)
        _certsmith_complete_cert_names "$cur"
        ;;
      --config-dir | --work-dir | --logs-dir | --serve-token-dir | -w | --webroot-path)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        ;;
      -c | --config | --ca-bundle | --notify-smtp-credentials | --notify-ca-bundle | --metrics-file | \
        --fallback-cert | --fallback-key | --cert-path | --key-path | --csr | \
        --chain-path | --fullchain-path | --dns-rfc2136-credentials | \
        --pre-hook | --post-hook | --deploy-hook | --renew-hook | \
        --manual-auth-hook | --manual-cleanup-hook)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
      -a | --authenticator)
        _certsmith_add_matches "$cur" plain standalone webroot serve manual dns-rfc2136
        ;;
      --key-type) _certsmith_add_matches "$cur" plain ecdsa rsa ;;
      --rsa-key-size) _certsmith_add_matches "$cur" plain 2048 3072 4096 ;;
      --elliptic-curve) _certsmith_add_matches "$cur" plain secp256r1 secp384r1 ;;
      --eab-hmac-alg) _certsmith_add_matches "$cur" plain HS256 HS384 HS512 ;;
      --preferred-challenges)
        _certsmith_add_matches "$cur" plain http-01 dns-01 tls-alpn-01 http dns tls-alpn
        ;;
      --reason)
        _certsmith_add_matches "$cur" plain unspecified keycompromise cacompromise \
          affiliationchanged superseded cessationofoperation certificatehold \
          removefromcrl privilegewithdrawn aacompromise
        ;;
    esac
    return 0
  fi

  if [[ $cur == -* ]]; then
    _certsmith_add_matches "$cur" plain "${_certsmith_switches[@]}" "${_certsmith_options[@]}"
    return 0
  fi

  # A subcommand, unless one is already on the line (words that are flag values do not count).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == -* || $word == = ]]; then
      _certsmith_takes_value "$word" && [[ ${COMP_WORDS[i + 1]} != = ]] && ((i++))
      [[ $word == = ]] && ((i++))
      continue
    fi
    have_subcommand=1
  done
  ((have_subcommand)) || _certsmith_add_matches "$cur" plain "${_certsmith_subcommands[@]}"
  return 0
}

complete -F _certsmith certsmith
