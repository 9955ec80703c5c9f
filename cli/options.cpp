#include "options.hpp"

#include "compat/python_strip.hpp"
#include "util/log.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

namespace certsmith::cli {

std::string Options::server_url() const {
  if (!server.empty())
    return server;
  // certbot: a dry run goes to the staging CA.
  return staging || dry_run ? k_letsencrypt_staging : k_letsencrypt_production;
}

void add_options(CLI::App& app, Options& o) {
  add_notify_options(app, o.notify);
  app.add_option("--config-dir", o.config_dir, "Configuration directory")->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "Working directory")->capture_default_str();
  app.add_option("--logs-dir", o.logs_dir, "Logs directory")->capture_default_str();
  app.add_option("-c,--config", o.config_file,
                 "cli.ini to read after /etc/letsencrypt/cli.ini and "
                 "~/.config/letsencrypt/cli.ini (the command line wins over all)");
  app.add_option("--max-log-backups", o.max_log_backups,
                 "Rotated letsencrypt.log files to keep; 0 appends to one file (for logrotate)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--server", o.server, "ACME directory URL (default: Let's Encrypt)");
  app.add_flag("--staging,--test-cert", o.staging, "Use the Let's Encrypt staging server");
  app.add_option("--ca-bundle", o.ca_bundle,
                 "PEM file of CAs to trust for the ACME server (default: $REQUESTS_CA_BUNDLE, "
                 "then the system store)");
  app.add_option("--user-agent", o.user_agent,
                 "User-Agent sent to the CA (\"\" sends plain \"certsmith\")");
  app.add_option("--user-agent-comment", o.user_agent_comment,
                 "Comment added to the default User-Agent, e.g. Foo-Wrapper/1.0");
  app.add_flag("-n,--non-interactive,--noninteractive", o.non_interactive, "Never ask for input");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors");
  app.add_flag("-v,--verbose", o.verbose, "More output; repeat for more");

  // certbot strips each item of a comma list: -d "a.example, b.example".
  auto strip_item = [](std::string item) { return std::string(compat::python_strip(item)); };
  app.add_option("-d,--domains,--domain", o.domains, "Domain to include (repeat, or comma list)")
      ->delimiter(',')
      ->transform(strip_item);
  app.add_option("--cert-name", o.cert_name, "Name of the certificate lineage");
  app.add_option("-m,--email", o.email, "Email for the account (comma list allowed)");
  app.add_flag("--agree-tos", o.agree_tos, "Agree to the CA's terms of service");
  app.add_flag("--register-unsafely-without-email", o.register_unsafely_without_email,
               "Register an account without an email");

  app.add_option("-a,--authenticator", o.authenticator, "standalone or webroot");
  app.add_flag("--standalone", o.standalone, "Answer http-01 with a built-in web server");
  app.add_flag("--webroot", o.webroot, "Answer http-01 by writing into a web server's root");
  app.add_option("-w,--webroot-path", o.webroot_paths, "Document root for the -d after it");
  app.add_option("--webroot-map", o.webroot_map,
                 "JSON object of names to document roots, e.g. "
                 "'{\"example.com,www.example.com\": \"/var/www/example\"}'; implies -d for "
                 "each name and wins over -w");
  app.add_option("--http-01-port", o.http01_port, "Port of the standalone http-01 server")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--http-01-address", o.http01_address,
                 "Address for the standalone server (default: all, IPv4 and IPv6)");
  app.add_option("--serve-token-dir", o.serve_token_dir,
                 "serve and --authenticator serve: directory of http-01 tokens (default: "
                 "WORK_DIR/http-01-tokens)");
  app.add_flag("--redirect-https", o.redirect_https,
               "serve: redirect every other path to https://HOST/PATH instead of answering 404");

  app.add_flag("--force-renewal,--renew-by-default", o.force_renewal,
               "Renew even when the certificate is not due");
  app.add_flag("--keep-until-expiring,--keep,--reinstall", o.keep_until_expiring,
               "Keep a certificate that is not due (the default)");
  app.add_option("--key-type", o.key_type, "ecdsa or rsa")
      ->check(CLI::IsMember({"ecdsa", "rsa"}))
      ->capture_default_str();
  app.add_option("--rsa-key-size", o.rsa_key_size, "RSA key size")
      ->check(CLI::IsMember({2048, 3072, 4096}))
      ->capture_default_str();
  app.add_option("--elliptic-curve", o.elliptic_curve, "secp256r1 or secp384r1")
      ->check(CLI::IsMember({"secp256r1", "secp384r1"}))
      ->capture_default_str();

  app.add_option("--pre-hook", o.pre_hook, "Shell command to run once before renewing");
  app.add_option("--post-hook", o.post_hook, "Shell command to run once after renewing");
  app.add_option("--deploy-hook,--renew-hook", o.deploy_hook,
                 "Shell command to run for each renewed certificate (RENEWED_LINEAGE, "
                 "RENEWED_DOMAINS in its environment)");
  app.add_flag("--no-directory-hooks", o.no_directory_hooks,
               "Do not run the hooks in renewal-hooks/{pre,deploy,post}/");
  app.add_flag("--disable-hook-validation")->description("Accepted for certbot compatibility");
  app.add_flag("--dry-run", o.dry_run,
               "Obtain certificates (from staging unless --server) but save nothing and run no "
               "deploy hooks");
  app.add_flag("--run-deploy-hooks", o.run_deploy_hooks, "With --dry-run, run deploy hooks too");
  app.add_option("--jobs", o.jobs, "Lineages renewed at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_flag("--no-random-sleep-on-renew", o.no_random_sleep_on_renew,
               "Renew at once, without the random delay of non-interactive runs");
  app.add_flag("--reuse-key", o.reuse_key, "Keep the current private key when renewing");
  app.add_flag("--no-autorenew", o.no_autorenew,
               "Record autorenew = False: renew skips the lineage unless --force-renewal");
  app.add_flag("--no-preflight", o.no_preflight,
               "certonly: skip the DNS, CAA and email checks before a first issuance");
  app.add_flag("--no-reuse-key", o.no_reuse_key,
               "Make a new private key at each renewal (unsets a saved reuse_key)");
  app.add_flag("--new-key", o.new_key, "Make a new private key (overrides a saved reuse_key)");
  app.add_flag("--json", o.json, "Print a machine-readable document (certificates, renew)");
  app.add_option("--metrics-file", o.metrics_file,
                 "renew, certonly: write a Prometheus textfile here (node_exporter's textfile "
                 "collector)");
  app.add_option("--rate-limit-per-domain", o.rate_limit_per_domain,
                 "Warn before an order when the local issuance ledger holds this many certificates "
                 "per registered domain in 7 days (Let's Encrypt's server: 50 unless set)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--rate-limit-duplicates", o.rate_limit_duplicates,
                 "The same for certificates with the same set of names (Let's Encrypt's: 5)")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--strict-rate-limits", o.strict_rate_limits,
               "Refuse to order, instead of warning, when a rate limit would be reached");
  app.add_flag("--ignore-rate-limit-backoff", o.ignore_rate_limit_backoff,
               "Order even before the time a CA's rateLimited answer gave (a warning instead)");
  app.add_option("--issuance-timeout", o.issuance_timeout,
                 "Seconds the CA may take to issue a certificate once the order is finalized "
                 "(1 to 86400; not saved for renewal, as certbot)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_flag("--bootstrap-self-signed", o.bootstrap_self_signed,
               "certonly: serve a self-signed certificate from live/ until the CA's arrives");
  app.add_flag("--fallback-self-signed", o.fallback_self_signed,
               "certonly, reconfigure: when renewal fails until the certificate expires, serve a "
               "self-signed one (saved for renew)");
  app.add_option("--fallback-cert", o.fallback_cert,
                 "certonly, reconfigure: certificate (PEM chain) covering every name to serve "
                 "instead when renewal fails until expiry; with --fallback-key");
  app.add_option("--fallback-key", o.fallback_key, "certonly: the private key of --fallback-cert");
  app.add_flag("--no-fallback", o.no_fallback,
               "certonly, reconfigure: forget --fallback-self-signed and --fallback-cert/-key");
  app.add_flag("--renew-with-new-domains", o.renew_with_new_domains,
               "With --cert-name and other -d names: replace the lineage's names and renew now, "
               "without asking");

  app.add_option("--cert-path", o.cert_path,
                 "revoke: certificate to revoke; certonly --csr: where to write the certificate");
  app.add_option("--key-path", o.key_path, "revoke: sign with this private key of the certificate");
  app.add_option("--reason", o.reason,
                 "Revocation reason: unspecified, keycompromise, cacompromise, affiliationchanged, "
                 "superseded, cessationofoperation, certificatehold, removefromcrl, "
                 "privilegewithdrawn, aacompromise")
      ->capture_default_str();
  app.add_flag("--delete-after-revoke", o.delete_after_revoke,
               "Delete the lineage after revoking it");
  app.add_flag("--no-delete-after-revoke", o.no_delete_after_revoke,
               "Keep the lineage after revoking it");
  app.add_flag("--purge", o.purge,
               "delete: remove everything, as certbot does. Without it, delete keeps the current "
               "certificate and key (and the renewal conf) in CONFIG_DIR/certsmith/kept/NAME/ "
               "(0700) for a later certonly of the same names, which reuses it while it is valid "
               "and not due; expired ones are removed when seen; rm -r that directory purges "
               "them all");

  app.add_option("--account", o.account, "Account id to use when the server has several");
  app.add_option("--eab-kid", o.eab_kid, "External account binding key id from the CA");
  app.add_option("--eab-hmac-key", o.eab_hmac_key,
                 "External account binding HMAC key from the CA (base64url)");
  app.add_option("--eab-hmac-alg", o.eab_hmac_alg, "HS256, HS384 or HS512")
      ->check(CLI::IsMember({"HS256", "HS384", "HS512"}))
      ->capture_default_str();
  app.add_flag("--no-eff-email")->description("Share no email with the EFF (certsmith never does)");

  app.add_option("--ip-address", o.ip_addresses, "IP address to include (RFC 8738; repeat)")
      ->delimiter(',')
      ->transform(strip_item);
  app.add_flag("--expand", o.expand, "Add names to the lineage that holds a subset of them");
  app.add_flag("--duplicate", o.duplicate, "Make a new lineage even when one has these names");
  app.add_option("--csr", o.csr, "Use this CSR (PEM or DER) instead of making a key");
  app.add_option("--chain-path", o.chain_path, "certonly --csr: where to write the chain");
  app.add_option("--fullchain-path", o.fullchain_path,
                 "certonly --csr: where to write the full chain");
  app.add_flag("--must-staple", o.must_staple,
               "Ask for the OCSP Must-Staple extension (Let's Encrypt refuses it since 2025)");
  app.add_option("--preferred-chain", o.preferred_chain,
                 "Pick the chain whose topmost issuer has this common name");
  app.add_option("--preferred-profile", o.preferred_profile,
                 "Ask for this certificate profile when the CA offers it");
  app.add_option("--required-profile", o.required_profile,
                 "Ask for this certificate profile; fail when the CA does not offer it");

  app.add_flag("--dns-rfc2136", o.dns_rfc2136,
               "Answer dns-01 with RFC 2136 dynamic DNS updates (certbot-dns-rfc2136)");
  app.add_option("--dns-rfc2136-credentials", o.dns_rfc2136_credentials,
                 "certbot-dns-rfc2136 ini file: server, port, TSIG key name, secret, algorithm");
  app.add_option("--dns-rfc2136-propagation-seconds,--dns-propagation-seconds",
                 o.dns_rfc2136_propagation_seconds,
                 "Wait this long for DNS instead of checking the authoritative servers")
      ->check(CLI::Range(0, 86400));
  app.add_option("--dns-resolvers", o.dns_resolvers,
                 "DNS servers (ADDRESS[:PORT]) to look up zones with and to check propagation on, "
                 "instead of the zone's authoritative servers; they must hold the zone (they "
                 "are asked without recursion)")
      ->delimiter(',');
  app.add_flag("--manual", o.manual, "Answer challenges with --manual-auth-hook");
  app.add_option("--manual-auth-hook", o.manual_auth_hook,
                 "Command that makes a challenge answerable (CERTBOT_DOMAIN, CERTBOT_VALIDATION, "
                 "CERTBOT_TOKEN in its environment)");
  app.add_option("--manual-cleanup-hook", o.manual_cleanup_hook,
                 "Command that undoes --manual-auth-hook (CERTBOT_AUTH_OUTPUT too)");
  app.add_option("--preferred-challenges", o.preferred_challenges,
                 "Challenge types in order of preference: http-01, dns-01, tls-alpn-01 (or http, "
                 "dns, tls-alpn)")
      ->delimiter(',');
  app.add_option("--tls-alpn-01-port", o.tls_alpn01_port,
                 "Port of the standalone tls-alpn-01 server")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
}

issuance::AccountRequest account_request(const Options& options) {
  issuance::AccountRequest request;
  request.email = options.email;
  request.register_unsafely_without_email = options.register_unsafely_without_email;
  request.agree_tos = options.agree_tos;
  request.account_id = options.account;
  request.eab_kid = options.eab_kid;
  request.eab_hmac_key = options.eab_hmac_key;
  request.eab_hmac_alg = options.eab_hmac_alg;
  return request;
}

std::unique_ptr<http::Transport> make_transport(const Options& options) {
  http::TransportOptions transport_options;
  transport_options.ca_bundle =
      options.ca_bundle.empty() ? http::ca_bundle_from_environment() : options.ca_bundle;
  if (options.user_agent) // certbot: "" hides what the default tells about the client
    transport_options.user_agent = options.user_agent->empty() ? "certsmith" : *options.user_agent;
  else
    transport_options.user_agent_comment = options.user_agent_comment;
  return http::make_curl_transport(transport_options);
}

hooks::HookConfig hook_config(const Options& options) {
  hooks::HookConfig config;
  if (!options.pre_hook.empty())
    config.pre_hooks.push_back(options.pre_hook);
  if (!options.post_hook.empty())
    config.post_hooks.push_back(options.post_hook);
  if (!options.deploy_hook.empty())
    config.deploy_hooks.push_back(options.deploy_hook);
  config.renewal_hooks_dir = std::filesystem::path(options.config_dir) / "renewal-hooks";
  config.use_directory_hooks = !options.no_directory_hooks;
  config.dry_run = options.dry_run;
  config.run_deploy_hooks = options.run_deploy_hooks;
  return config;
}

std::vector<issuance::DomainOrWebroot> scan_domain_and_webroot_order(int argc, char** argv) {
  std::vector<issuance::DomainOrWebroot> order;
  auto add_domains = [&order](std::string_view list) {
    for (auto& item : compat::split_comma_list(list))
      if (!item.empty())
        order.push_back({false, std::move(item)});
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--")
      break;
    bool has_next = i + 1 < argc;
    if ((arg == "-d" || arg == "--domains" || arg == "--domain") && has_next)
      add_domains(argv[++i]);
    else if (arg.starts_with("--domains=") || arg.starts_with("--domain="))
      add_domains(arg.substr(arg.find('=') + 1));
    else if (arg.starts_with("-d") && !arg.starts_with("--"))
      add_domains(arg.substr(2));
    else if ((arg == "-w" || arg == "--webroot-path") && has_next)
      order.push_back({true, argv[++i]});
    else if (arg.starts_with("--webroot-path="))
      order.push_back({true, std::string(arg.substr(15))});
    else if (arg.starts_with("-w") && !arg.starts_with("--"))
      order.push_back({true, std::string(arg.substr(2))});
  }
  return order;
}

void set_terminal_verbosity(const Options& options) {
  if (options.quiet)
    util::set_terminal_level(util::LogLevel::error);
  else if (options.json) // stdout carries the JSON document alone; -v detail is in the log
    util::set_terminal_level(util::LogLevel::warning);
  else if (options.verbose > 0)
    util::set_terminal_level(util::LogLevel::debug);
}

void start_logging(const Options& options) {
  set_terminal_verbosity(options);
  util::open_log_file(std::filesystem::path(options.logs_dir) / "letsencrypt.log",
                      options.max_log_backups);
}

} // namespace certsmith::cli
