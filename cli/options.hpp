#pragma once
// Every flag certsmith understands, spelled as certbot spells it, gathered into
// one struct by CLI11. Flags may stand before or after the subcommand.

#include "hooks/hook_runner.hpp"
#include "http/transport.hpp"
#include "issuance/account.hpp"
#include "issuance/webroot_map.hpp"
#include "notify_options.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

// CLI11 costs ~9 s of compiler time per file: only the files that build the app include it.
namespace CLI {
class App;
}

namespace certsmith::cli {

inline constexpr const char* k_letsencrypt_production =
    "https://acme-v02.api.letsencrypt.org/directory";
inline constexpr const char* k_letsencrypt_staging =
    "https://acme-staging-v02.api.letsencrypt.org/directory";

struct Options {
  std::string config_dir = "/etc/letsencrypt";
  std::string work_dir = "/var/lib/letsencrypt";
  std::string logs_dir = "/var/log/letsencrypt";
  std::string config_file;    // -c: read by merge_config_files before parsing
  int max_log_backups = 1000; // certbot's letsencrypt.log rotation; 0 appends
  std::string server;
  bool staging = false;
  std::string ca_bundle;
  std::optional<std::string> user_agent; // given as "" hides the versions, as certbot's
  std::string user_agent_comment;
  bool non_interactive = false;
  bool quiet = false;
  int verbose = 0;

  std::vector<std::string> domains;
  std::optional<std::string> cert_name;
  std::string email;
  bool agree_tos = false;
  bool register_unsafely_without_email = false;

  std::string authenticator;
  bool standalone = false;
  bool webroot = false;
  std::vector<std::string> webroot_paths;
  std::string webroot_map; // certbot's --webroot-map JSON, merged by apply_certbot_flags
  int http01_port = 80;
  std::string http01_address;
  std::string serve_token_dir; // serve and -a serve; "" = WORK_DIR/http-01-tokens
  bool redirect_https = false; // serve

  bool force_renewal = false;
  bool keep_until_expiring = false;
  std::string key_type = "ecdsa";
  int rsa_key_size = 2048;
  std::string elliptic_curve = "secp256r1";

  std::string pre_hook, post_hook, deploy_hook;
  bool no_directory_hooks = false;
  bool dry_run = false;
  bool run_deploy_hooks = false;
  int jobs = 4;
  bool no_random_sleep_on_renew = false;
  bool reuse_key = false;
  bool no_reuse_key = false; // certbot: records reuse_key = False
  bool no_autorenew = false;  // certbot: records autorenew = False
  bool no_preflight = false;  // certsmith: skip the checks before a first issuance
  bool new_key = false;
  bool json = false;
  bool bootstrap_self_signed = false; // certonly: certsmith's own fallback flags
  bool fallback_self_signed = false;
  std::string fallback_cert, fallback_key;
  bool no_fallback = false; // reconfigure, certonly: forget the fallbacks
  NotifyFlags notify; // renew: --notify-* (certsmith's own flags)
  std::string metrics_file; // renew, certonly: Prometheus textfile (certsmith's own flag)
  std::optional<int> rate_limit_per_domain; // certsmith's own: issuance ledger limits
  std::optional<int> rate_limit_duplicates;
  bool strict_rate_limits = false;
  bool ignore_rate_limit_backoff = false; // certsmith's own: order despite a remembered Retry-After
  int issuance_timeout = 90; // seconds; acme::k_default_issuance_timeout, certbot's; never saved
  bool renew_with_new_domains = false; // --cert-name with other -d: replace them without asking

  // revoke, delete
  std::string cert_path; // revoke: the certificate; certonly --csr: where to write it
  std::string key_path;  // revoke: sign with the certificate's own key
  std::string reason = "unspecified";
  bool delete_after_revoke = false;
  bool no_delete_after_revoke = false;
  bool purge = false; // delete: keep nothing for reuse (certsmith's own flag)

  // accounts
  std::string account; // account id, when a server has several
  std::string eab_kid;
  std::string eab_hmac_key; // base64url, as CAs hand it out
  std::string eab_hmac_alg = "HS256";

  // issuance options
  std::vector<std::string> ip_addresses;
  bool expand = false;
  bool duplicate = false;
  std::string csr;
  std::string chain_path;
  std::string fullchain_path;
  bool must_staple = false;
  std::string preferred_chain;
  std::string preferred_profile;
  std::string required_profile;

  // dns-01, manual, tls-alpn-01
  bool dns_rfc2136 = false;
  std::string dns_rfc2136_credentials;
  std::optional<int> dns_rfc2136_propagation_seconds;
  std::vector<std::string> dns_resolvers;
  bool manual = false;
  std::string manual_auth_hook;
  std::string manual_cleanup_hook;
  std::vector<std::string> preferred_challenges;
  int tls_alpn01_port = 443;

  /// Long names (no dashes) of every flag given on the command line or set in a
  /// cli.ini (certbot's set_by_user counts both), so that a command can tell
  /// "set to its default" from "not given" (reconfigure).
  std::set<std::string> given;

  /// -d and -w in command-line order, for certbot's webroot pairing.
  std::vector<issuance::DomainOrWebroot> domain_and_webroot_order;

  /// The directory URL: --server, else staging or production Let's Encrypt.
  std::string server_url() const;
};

/// The account settings of the command line.
issuance::AccountRequest account_request(const Options& options);

/// Register every flag on app (flags are global, subcommands fall through).
void add_options(CLI::App& app, Options& options);

/// Record -d/-w in the order given (CLI11 keeps each option's values apart).
std::vector<issuance::DomainOrWebroot> scan_domain_and_webroot_order(int argc, char** argv);

/// The libcurl transport, trusting --ca-bundle, else $REQUESTS_CA_BUNDLE, else the system store.
std::unique_ptr<http::Transport> make_transport(const Options& options);

/// The hooks given on the command line plus the renewal-hooks/ directories.
hooks::HookConfig hook_config(const Options& options);

/// What reaches the terminal: -q, --json and -v.
void set_terminal_verbosity(const Options& options);

/// set_terminal_verbosity, then open logs-dir/letsencrypt.log (rotated as certbot does).
void start_logging(const Options& options);

} // namespace certsmith::cli
