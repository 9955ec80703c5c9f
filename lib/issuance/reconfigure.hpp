#pragma once
// `reconfigure` (certbot 2.3+): change the renewal settings a lineage's conf
// records without issuing. The new settings are proven first by a dry-run
// issuance for the certificate's names; only then is renewal/NAME.conf
// rewritten, and a failed proof leaves it byte for byte as it was.

#include "acme/client.hpp"
#include "hooks/hook_runner.hpp"
#include "http/transport.hpp"
#include "issuance/account.hpp"
#include "issuance/fallback_settings.hpp"
#include "issuance/key_request.hpp"
#include "notify/notifier.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"
#include "util/clock.hpp"
#include "util/process_runner.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// The settings the user asked to change; nullopt leaves the conf's value.
struct RenewalChanges {
  std::optional<std::string> authenticator; // "standalone", "webroot", ...
  /// Document roots for webroot; every name of the certificate is served from
  /// the last one (certbot's rule for names without their own -w).
  std::optional<std::vector<std::string>> webroot_paths;
  std::optional<int> http01_port;
  std::optional<std::string> http01_address;
  std::optional<std::string> pre_hook, post_hook, renew_hook; // "" removes the hook
  /// Only the key settings given change; --reuse-key with --new-key records
  /// reuse_key and allows a new kind of key while it is set.
  KeyRequest key;
  std::optional<std::string> server; // another server drops the conf's account
  std::optional<std::string> preferred_chain;
  std::optional<std::string> preferred_profile;
  std::optional<std::string> required_profile;
  std::optional<std::string> serve_token_dir; // -a serve only; saved absolute
  /// --fallback-self-signed, --fallback-cert/-key, --no-fallback (fallback_settings.hpp):
  /// checked against the lineage's names; they change no issuance, so need no dry run.
  FallbackOptions fallback;
};

struct ReconfigureRequest {
  store::TreePaths paths;
  std::string cert_name;
  RenewalChanges changes;
  AccountRequest account; // for the dry run's server
  std::chrono::seconds issuance_timeout = acme::k_default_issuance_timeout; // of the dry run
  /// Hooks of the dry run: pre and post hooks run (the conf's, after the
  /// changes); deploy hooks only with run_deploy_hooks, as in certbot.
  hooks::HookConfig hooks;
  notify::NotifyOptions notify; // --notify-*, --no-notify: saved apart, no dry run
};

struct ReconfigureResult {
  store::RenewalParams before;
  store::RenewalParams after;
  bool changed = false;       // false: the conf already said this; nothing was run
  std::string dry_run_server; // where the proof was obtained
  std::vector<hooks::HookFailure> hook_failures;
};

/// `changes` applied to `params`: switching away from webroot drops the webroot
/// settings, and switching to webroot needs webroot_paths (or saved ones).
/// `names` are the certificate's identifiers, for the webroot map. Another
/// server drops the recorded account, which belongs to the old one. Throws
/// UsageError for a change that cannot work.
store::RenewalParams apply_changes(store::RenewalParams params, const RenewalChanges& changes,
                                   const std::vector<std::string>& names);

/// The CA a dry run of `server` talks to: Let's Encrypt's staging CA in place
/// of its production one (certbot's rule), any other server itself.
std::string dry_run_server_for(const std::string& server);

/// Reconfigure one lineage. The caller holds the tree lock. Throws UsageError
/// for an invalid or unknown name, settings that cannot work, or another kind
/// of key for a lineage that reuses its key without --new-key (certbot's
/// _avoid_reuse_key_conflicts), StorageError for an unreadable tree, and the errors
/// of the dry-run issuance (the conf is then unchanged).
ReconfigureResult reconfigure_lineage(const ReconfigureRequest& request, http::Transport& transport,
                                      util::Clock& clock, util::ProcessRunner& process_runner);

} // namespace certsmith::issuance
