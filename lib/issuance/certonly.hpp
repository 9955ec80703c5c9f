#pragma once
// `certonly`: obtain a certificate for a set of names and keep it in the tree,
// or keep the one already there while it is not due (certbot's
// --keep-until-expiring, its non-interactive default).

#include "acme/client.hpp"
#include "acme/identifier.hpp"
#include "crypto/private_key.hpp"
#include "hooks/hook_runner.hpp"
#include "http/transport.hpp"
#include "issuance/account.hpp"
#include "issuance/fallback.hpp"
#include "issuance/key_request.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"
#include "util/clock.hpp"
#include "util/process_runner.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct CertonlyRequest {
  store::TreePaths paths;
  std::string server; // ACME directory URL
  std::vector<std::string> domains;
  std::vector<std::string> ip_addresses; // RFC 8738 identifiers
  std::optional<std::string> cert_name;
  bool expand = false;       // grow the lineage whose names are a subset of these
  bool duplicate = false;    // a new lineage even when one has exactly these names
  std::string authenticator; // "standalone", "webroot", "manual" or "dns-rfc2136"
  std::map<std::string, std::string> webroot_map; // for webroot: domain -> document root
  std::uint16_t http01_port = 80;
  std::string http01_address;           // "" = every address
  std::uint16_t tls_alpn01_port = 443;  // standalone tls-alpn-01
  std::string serve_token_dir;          // -a serve; "" = WORK_DIR/http-01-tokens
  std::vector<std::string> pref_challs; // --preferred-challenges, as typed
  std::string manual_auth_hook;         // manual: shell commands
  std::string manual_cleanup_hook;
  std::string dns_rfc2136_credentials; // dns-rfc2136: the ini file
  std::optional<int> dns_rfc2136_propagation_seconds;
  std::vector<std::string> dns_resolvers; // ADDRESS[:PORT] checked instead of the zone's servers
  AccountRequest account;
  bool force_renewal = false;
  /// The key flags: an existing lineage changes only the key settings given
  /// (certbot's rule against silent key type changes); --reuse-key with
  /// --new-key makes a fresh key now and reuses it afterwards.
  KeyRequest key;
  bool must_staple = false;
  std::optional<bool> autorenew; // --autorenew / --no-autorenew, saved as certbot saves it
  std::string preferred_chain;   // issuer CN of the topmost certificate of the chain wanted
  std::string preferred_profile; // used when the CA offers it
  std::string required_profile;  // fail when the CA does not offer it
  /// --csr: obtain for this CSR (PEM or DER file) and write the certificate to
  /// these paths instead of a lineage (run_certonly_csr, certonly_csr.hpp).
  std::string csr_path;
  std::string cert_path, chain_path, fullchain_path;
  bool dry_run = false; // obtain, store nothing
  /// --issuance-timeout: how long the CA may take to issue once the order is
  /// finalized. Not saved in the renewal conf, as certbot.
  std::chrono::seconds issuance_timeout = acme::k_default_issuance_timeout;
  ratelimit::Policy rate_limits; // the ledger's limits (rate_limit_guard.hpp)
  /// --renew-with-new-domains: --cert-name with other names replaces them
  /// without asking.
  bool renew_with_new_domains = false;
  /// Asks the person at the terminal a yes/no question (cli/prompt.hpp);
  /// non_interactive_answer is certbot's answer with -n, flag_hint the flag
  /// that answers it. Unset: those answers (no expansion without --expand,
  /// --cert-name's names replaced).
  std::function<bool(const std::string& question, bool non_interactive_answer,
                     const std::string& flag_hint)>
      confirm;
  /// Hooks run around this issuance as certbot runs them after certonly; the
  /// first command of each kind is also saved in the renewal conf.
  hooks::HookConfig hooks;
  /// --bootstrap-self-signed, --fallback-self-signed, --fallback-cert/-key (fallback.hpp).
  FallbackOptions fallback;
};

struct CertonlyResult {
  // reused: a new lineage from the certificate `delete` kept (kept_reuse.hpp), no order.
  enum class Outcome { issued, renewed, kept, reused } outcome = Outcome::issued;
  std::string lineage_name;
  std::string live_dir;
  std::vector<std::string> domains;
  std::string fullchain_path;
  std::string privkey_path;
  std::chrono::system_clock::time_point not_after;
  int requests = 0; // HTTP requests made to the CA
  std::vector<hooks::HookFailure> hook_failures;
};

/// Run certonly for -d names and --ip-address identifiers (none given with
/// --cert-name of an existing lineage: the names its certificate holds),
/// choosing the lineage as certbot does: --cert-name's (its names replaced by
/// these), else one with
/// exactly these names, else with --expand (or --force-renewal) the largest one
/// whose names are a strict subset, else a new one (also with --duplicate).
/// A subset match without --expand is a UsageError naming --expand. A lineage
/// that is not due is kept, except on a dry run (certbot's should_renew).
/// Throws the typed errors of util/error.hpp and acme/problem.hpp.
CertonlyResult run_certonly(const CertonlyRequest& request, http::Transport& transport,
                            util::Clock& clock, util::ProcessRunner& process_runner);

/// The renewal parameters certonly records: the lineage's earlier settings
/// (previous) overridden by this command line. --reuse-key records
/// reuse_key = True; --new-key removes it, as certbot's certonly does. Only
/// the chosen authenticator's settings are kept (manual hooks, the RFC 2136
/// credentials as an absolute path, ...), pref_challs in certbot's spelling.
store::RenewalParams certonly_renewal_params(const CertonlyRequest& request,
                                             const std::optional<store::RenewalParams>& previous);

/// The name a new lineage starts from for its first identifier: the domain
/// ("*." dropped later by choose_lineage_name) or the IP address, an IPv6 one
/// with ':' spelled '-' (a leading "::" as "0--") so that the name is one
/// harmless path component everywhere (no ':' for PATH-like lists, scp, docker
/// -v or Windows shares; never a leading '-').
std::string lineage_name_base(const acme::Identifier& first);

} // namespace certsmith::issuance
