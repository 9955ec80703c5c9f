#pragma once
// `renew`: every lineage (or the named ones) whose time has come is renewed
// with the settings its renewal conf recorded, several at once, with certbot's
// pre/deploy/post hooks. One lineage failing never stops the others.

#include "acme/client.hpp"
#include "hooks/hook_runner.hpp"
#include "http/transport.hpp"
#include "issuance/account.hpp"
#include "notify/notifier.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "store/lineage.hpp"
#include "store/tree_paths.hpp"
#include "util/clock.hpp"
#include "util/process_runner.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct RenewOptions {
  store::TreePaths paths;
  std::vector<std::string> cert_names; // empty = every lineage
  bool force_renewal = false;
  bool dry_run = false; // obtain, store nothing
  int jobs = 4;
  /// certbot's non-interactive random delay before contacting the CA (only
  /// when something is due); zero for none.
  std::chrono::milliseconds random_delay{0};

  // Command-line values that override what each renewal conf recorded.
  std::optional<std::string> server;
  std::optional<std::string> authenticator;
  std::map<std::string, std::string> webroot_map;
  std::optional<int> http01_port;
  std::optional<std::string> http01_address;
  std::vector<std::string> pref_challs; // --preferred-challenges; empty = the conf's
  std::optional<std::string> manual_auth_hook;
  std::optional<std::string> manual_cleanup_hook;
  std::optional<std::string> dns_rfc2136_credentials; // made absolute when saved, as certonly
  std::optional<int> dns_rfc2136_propagation_seconds;
  std::vector<std::string> dns_resolvers; // empty = the conf's
  std::optional<int> tls_alpn01_port;
  std::optional<std::string> serve_token_dir; // -a serve --serve-token-dir
  std::optional<bool> reuse_key;
  bool new_key = false;          // a fresh key this time; the conf's reuse_key stays (certbot)
  std::optional<bool> autorenew; // --autorenew / --no-autorenew, saved when a lineage renews
  AccountRequest account;
  /// --issuance-timeout for every order of the run (never read from a conf).
  std::chrono::seconds issuance_timeout = acme::k_default_issuance_timeout;
  ratelimit::Policy rate_limits; // the ledger's limits (rate_limit_guard.hpp)

  hooks::HookConfig hooks; // command-line hooks and the renewal-hooks/ directories
  notify::NotifyOptions notify; // --notify-*, laid over each renewal conf's (renew_notify.hpp)

  /// Called (from worker threads, serialized) after each due lineage is done.
  std::function<void(std::size_t done, std::size_t total)> on_progress;
};

struct LineageOutcome {
  enum class Action { renewed, not_due, failed };
  std::string name;
  Action action = Action::not_due;
  std::string reason; // why it was (not) due, or why it failed
  std::vector<std::string> domains;
  std::chrono::system_clock::time_point not_after; // of the certificate now live
  int version = 0;                                 // archive version written
};

struct RenewSummary {
  std::vector<LineageOutcome> outcomes; // in lineage-name order
  std::vector<hooks::HookFailure> hook_failures;
  bool any_failed() const;
};

/// Renew what is due. Throws only for problems of the whole run (e.g. a named
/// lineage that does not exist); per-lineage problems become outcomes.
RenewSummary renew_all(const RenewOptions& options, http::Transport& transport, util::Clock& clock,
                       util::ProcessRunner& process_runner);

std::string_view action_name(LineageOutcome::Action action);

/// The lineage's recorded settings with the command-line overrides of
/// `options` laid over them: what this renewal uses and, as certbot does,
/// what the renewal conf records afterwards.
store::RenewalParams renewal_params_for(const RenewOptions& options, const store::Lineage& lineage);

} // namespace certsmith::issuance
