# fish completion for certsmith: subcommands, flags, flag values and the
# certificate names of the config dir (renewal/*.conf).
# Installed as /usr/share/fish/vendor_completions.d/certsmith.fish (fish loads
# it on demand the first time certsmith is completed).
#
# Cert names come from reading the config dir given on the line (--config-dir,
# default /etc/letsencrypt), never from running certsmith; file names are
# printed as data, never evaluated. tests/e2e/test_completions.py fails when
# certsmith --help lists a subcommand or flag missing here.

# Prints the lineage names in the config dir named on the command line so far,
# one a line, skipping names certsmith refuses (leading '.' or '-', control
# characters). A leading ~/ in the dir becomes $HOME/, nothing else is expanded.
function __certsmith_cert_names
    set -l dir /etc/letsencrypt
    set -l tokens (commandline -opc)
    set -l count (count $tokens)
    for i in (seq 2 $count)
        switch $tokens[$i]
            case '--config-dir=*'
                set dir (string replace -- --config-dir= '' $tokens[$i])
            case --config-dir
                if test $i -lt $count
                    set dir $tokens[(math $i + 1)]
                end
        end
    end
    set dir (string replace -r -- '^~/' "$HOME/" $dir)
    test -d "$dir/renewal" -a -r "$dir/renewal"; or return 0
    for path in $dir/renewal/*.conf
        set -l name (string replace -r -- '^.*/(.*)\.conf$' '$1' $path)
        string match -qr -- '^[.-]|[[:cntrl:]]' $name; and continue
        printf '%s\n' $name
    end
end

# Subcommands (only where none is on the line yet). -f: no file names.
complete -c certsmith -f
complete -c certsmith -n __fish_use_subcommand -f -a certonly -d 'Obtain or renew a certificate, install nothing'
complete -c certsmith -n __fish_use_subcommand -f -a certificates -d 'List the certificates in the config dir'
complete -c certsmith -n __fish_use_subcommand -f -a renew -d 'Renew every certificate that is due'
complete -c certsmith -n __fish_use_subcommand -f -a revoke -d 'Revoke a certificate'
complete -c certsmith -n __fish_use_subcommand -f -a delete -d 'Delete a certificate lineage'
complete -c certsmith -n __fish_use_subcommand -f -a register -d 'Create an ACME account'
complete -c certsmith -n __fish_use_subcommand -f -a update_account -d 'Change the account\'s contact email'
complete -c certsmith -n __fish_use_subcommand -f -a update-account -d 'Change the account\'s contact email'
complete -c certsmith -n __fish_use_subcommand -f -a show_account -d 'Show the account'
complete -c certsmith -n __fish_use_subcommand -f -a show-account -d 'Show the account'
complete -c certsmith -n __fish_use_subcommand -f -a unregister -d 'Deactivate the account'
complete -c certsmith -n __fish_use_subcommand -f -a rollover-account-key -d 'Replace the account key (RFC 8555 key change)'
complete -c certsmith -n __fish_use_subcommand -f -a rollover_account_key -d 'Replace the account key (RFC 8555 key change)'
complete -c certsmith -n __fish_use_subcommand -f -a reconfigure -d 'Change a lineage\'s renewal settings without issuing'
complete -c certsmith -n __fish_use_subcommand -f -a update_symlinks -d 'Repair the live/ links from archive/'
complete -c certsmith -n __fish_use_subcommand -f -a update-symlinks -d 'Repair the live/ links from archive/'
complete -c certsmith -n __fish_use_subcommand -f -a serve -d 'Answer http-01 challenges from the token directory until stopped'
complete -c certsmith -n __fish_use_subcommand -f -a doctor -d 'Check DNS, CAA, the account email and http-01 before issuing'
complete -c certsmith -n __fish_use_subcommand -f -a certbot-flags -d 'List certbot\'s flags: supported, ignored, refused'

# Flags: every flag is global, valid before or after the subcommand.
complete -c certsmith -s h -l help -d 'Print this help message and exit'
complete -c certsmith -l version -d 'Display program version information and exit'
complete -c certsmith -l notify-email -x -d 'Mail this address when a renewal fails (repeatable'
complete -c certsmith -l notify-smtp-url -x -d 'SMTP server for notifications: smtp://host:port or smtps://host:port'
complete -c certsmith -l notify-smtp-credentials -r -F -d '0600 file with smtp_username = and smtp_password ='
complete -c certsmith -l notify-from -x -d 'Sender of notification mail'
complete -c certsmith -l notify-webhook -x -d 'POST a JSON document (docs/notifications.md) to this http(s) URL'
complete -c certsmith -l notify-on-success -d 'Also notify when a renewal succeeds'
complete -c certsmith -l notify-expiry-days -x -d 'Also notify when a certificate not being renewed expires within N days'
complete -c certsmith -l notify-interval -x -d 'Repeat a lasting failure\'s notification at most this often (default 24h)'
complete -c certsmith -l notify-ca-bundle -r -F -d 'PEM file of CAs trusted for the SMTP server and webhook'
complete -c certsmith -l no-notify -d 'Remove the saved --notify-* settings of the lineage(s)'
complete -c certsmith -l config-dir -x -a '(__fish_complete_directories)' -d 'Configuration directory'
complete -c certsmith -l work-dir -x -a '(__fish_complete_directories)' -d 'Working directory'
complete -c certsmith -l logs-dir -x -a '(__fish_complete_directories)' -d 'Logs directory'
complete -c certsmith -s c -l config -r -F -d 'cli.ini to read after /etc/letsencrypt/cli.ini and ~/.config/letsencr...'
complete -c certsmith -l max-log-backups -x -d 'Rotated letsencrypt.log files to keep'
complete -c certsmith -l server -x -d 'ACME directory URL (default: Let\'s Encrypt)'
complete -c certsmith -l staging -l test-cert -d 'Use the Let\'s Encrypt staging server'
complete -c certsmith -l ca-bundle -r -F -d 'PEM file of CAs to trust for the ACME server'
complete -c certsmith -l user-agent -x -d 'User-Agent sent to the CA ("" sends plain "certsmith")'
complete -c certsmith -l user-agent-comment -x -d 'Comment added to the default User-Agent, e.g. Foo-Wrapper/1.0'
complete -c certsmith -s n -l non-interactive -l noninteractive -d 'Never ask for input'
complete -c certsmith -s q -l quiet -d 'Print only errors'
complete -c certsmith -s v -l verbose -d 'More output; repeat for more'
complete -c certsmith -s d -l domains -l domain -x -d 'Domain to include (repeat, or comma list)'
complete -c certsmith -l cert-name -x -a '(__certsmith_cert_names)' -d 'Name of the certificate lineage'
complete -c certsmith -s m -l email -x -d 'Email for the account (comma list allowed)'
complete -c certsmith -l agree-tos -d 'Agree to the CA\'s terms of service'
complete -c certsmith -l register-unsafely-without-email -d 'Register an account without an email'
complete -c certsmith -s a -l authenticator -x -a 'standalone webroot serve manual dns-rfc2136' -d 'How to answer challenges'
complete -c certsmith -l standalone -d 'Answer http-01 with a built-in web server'
complete -c certsmith -l webroot -d 'Answer http-01 by writing into a web server\'s root'
complete -c certsmith -s w -l webroot-path -x -a '(__fish_complete_directories)' -d 'Document root for the -d after it'
complete -c certsmith -l webroot-map -x -d 'JSON object of names to document roots'
complete -c certsmith -l http-01-port -x -d 'Port of the standalone http-01 server'
complete -c certsmith -l http-01-address -x -d 'Address for the standalone server (default: all, IPv4 and IPv6)'
complete -c certsmith -l serve-token-dir -x -a '(__fish_complete_directories)' -d 'serve and --authenticator serve: directory of http-01 tokens'
complete -c certsmith -l redirect-https -d 'serve: redirect every other path to https://HOST/PATH instead of answ...'
complete -c certsmith -l force-renewal -l renew-by-default -d 'Renew even when the certificate is not due'
complete -c certsmith -l keep-until-expiring -l keep -l reinstall -d 'Keep a certificate that is not due (the default)'
complete -c certsmith -l key-type -x -a 'ecdsa rsa' -d 'ecdsa or rsa'
complete -c certsmith -l rsa-key-size -x -a '2048 3072 4096' -d 'RSA key size'
complete -c certsmith -l elliptic-curve -x -a 'secp256r1 secp384r1' -d 'secp256r1 or secp384r1'
complete -c certsmith -l pre-hook -r -F -d 'Shell command to run once before renewing'
complete -c certsmith -l post-hook -r -F -d 'Shell command to run once after renewing'
complete -c certsmith -l deploy-hook -l renew-hook -r -F -d 'Shell command to run for each renewed certificate'
complete -c certsmith -l no-directory-hooks -d 'Do not run the hooks in renewal-hooks/{pre,deploy,post}/'
complete -c certsmith -l disable-hook-validation -d 'Accepted for certbot compatibility'
complete -c certsmith -l dry-run -d 'Obtain certificates'
complete -c certsmith -l run-deploy-hooks -d 'With --dry-run, run deploy hooks too'
complete -c certsmith -l jobs -x -d 'Lineages renewed at once'
complete -c certsmith -l no-random-sleep-on-renew -d 'Renew at once, without the random delay of non-interactive runs'
complete -c certsmith -l reuse-key -d 'Keep the current private key when renewing'
complete -c certsmith -l no-autorenew -d 'Record autorenew = False: renew skips the lineage unless --force-renewal'
complete -c certsmith -l no-preflight -d 'certonly: skip the DNS, CAA and email checks before a first issuance'
complete -c certsmith -l no-reuse-key -d 'Make a new private key at each renewal (unsets a saved reuse_key)'
complete -c certsmith -l new-key -d 'Make a new private key (overrides a saved reuse_key)'
complete -c certsmith -l json -d 'Print a machine-readable document (certificates, renew)'
complete -c certsmith -l metrics-file -r -F -d 'renew: write a Prometheus textfile here'
complete -c certsmith -l rate-limit-per-domain -x -d 'Warn before an order when the local issuance ledger holds this many c...'
complete -c certsmith -l rate-limit-duplicates -x -d 'The same for certificates with the same set of names'
complete -c certsmith -l strict-rate-limits -d 'Refuse to order, instead of warning, when a rate limit would be reached'
complete -c certsmith -l ignore-rate-limit-backoff -d 'Order even before the time a CA\'s rateLimited answer gave (a warning instead)'
complete -c certsmith -l issuance-timeout -x -d 'Seconds the CA may take to issue a certificate once the order is fina...'
complete -c certsmith -l bootstrap-self-signed -d 'certonly: serve a self-signed certificate from live/ until the CA\'s a...'
complete -c certsmith -l fallback-self-signed -d 'certonly: when renewal fails until the certificate expires, serve a s...'
complete -c certsmith -l fallback-cert -r -F -d 'certonly: certificate'
complete -c certsmith -l fallback-key -r -F -d 'certonly: the private key of --fallback-cert'
complete -c certsmith -l no-fallback -d 'certonly, reconfigure: forget --fallback-self-signed and --fallback-cert/-key'
complete -c certsmith -l renew-with-new-domains -d 'With --cert-name and other -d names'
complete -c certsmith -l cert-path -r -F -d 'revoke: certificate to revoke'
complete -c certsmith -l key-path -r -F -d 'revoke: sign with this private key of the certificate'
complete -c certsmith -l reason -x -a 'unspecified keycompromise cacompromise affiliationchanged superseded cessationofoperation certificatehold removefromcrl privilegewithdrawn aacompromise' -d 'Revocation reason'
complete -c certsmith -l delete-after-revoke -d 'Delete the lineage after revoking it'
complete -c certsmith -l no-delete-after-revoke -d 'Keep the lineage after revoking it'
complete -c certsmith -l purge -d 'delete: remove everything, as certbot does'
complete -c certsmith -l account -x -d 'Account id to use when the server has several'
complete -c certsmith -l eab-kid -x -d 'External account binding key id from the CA'
complete -c certsmith -l eab-hmac-key -x -d 'External account binding HMAC key from the CA (base64url)'
complete -c certsmith -l eab-hmac-alg -x -a 'HS256 HS384 HS512' -d 'HS256, HS384 or HS512'
complete -c certsmith -l no-eff-email -d 'Share no email with the EFF (certsmith never does)'
complete -c certsmith -l ip-address -x -d 'IP address to include (RFC 8738; repeat)'
complete -c certsmith -l expand -d 'Add names to the lineage that holds a subset of them'
complete -c certsmith -l duplicate -d 'Make a new lineage even when one has these names'
complete -c certsmith -l csr -r -F -d 'Use this CSR (PEM or DER) instead of making a key'
complete -c certsmith -l chain-path -r -F -d 'certonly --csr: where to write the chain'
complete -c certsmith -l fullchain-path -r -F -d 'certonly --csr: where to write the full chain'
complete -c certsmith -l must-staple -d 'Ask for the OCSP Must-Staple extension'
complete -c certsmith -l preferred-chain -x -d 'Pick the chain whose topmost issuer has this common name'
complete -c certsmith -l preferred-profile -x -d 'Ask for this certificate profile when the CA offers it'
complete -c certsmith -l required-profile -x -d 'Ask for this certificate profile; fail when the CA does not offer it'
complete -c certsmith -l dns-rfc2136 -d 'Answer dns-01 with RFC 2136 dynamic DNS updates (certbot-dns-rfc2136)'
complete -c certsmith -l dns-rfc2136-credentials -r -F -d 'certbot-dns-rfc2136 ini file'
complete -c certsmith -l dns-rfc2136-propagation-seconds -l dns-propagation-seconds -x -d 'Wait this long for DNS instead of checking the authoritative servers'
complete -c certsmith -l dns-resolvers -x -d 'DNS servers (ADDRESS[:PORT]) to look up zones with and to check pro...'
complete -c certsmith -l manual -d 'Answer challenges with --manual-auth-hook'
complete -c certsmith -l manual-auth-hook -r -F -d 'Command that makes a challenge answerable'
complete -c certsmith -l manual-cleanup-hook -r -F -d 'Command that undoes --manual-auth-hook (CERTBOT_AUTH_OUTPUT too)'
complete -c certsmith -l preferred-challenges -x -a 'http-01 dns-01 tls-alpn-01 http dns tls-alpn' -d 'Challenge types in order of preference: http-01, dns-01, tls-alpn-01'
complete -c certsmith -l tls-alpn-01-port -x -d 'Port of the standalone tls-alpn-01 server'
