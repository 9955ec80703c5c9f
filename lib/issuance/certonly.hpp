#pragma once
// `certonly`: obtain a certificate for a set of names and keep it in the tree,
// or keep the one already there while it is not due (certbot's
// --keep-until-expiring, its non-interactive default).

#include "crypto/private_key.hpp"
#include "hooks/hook_runner.hpp"
#include "http/transport.hpp"
#include "issuance/account.hpp"
#include "store/tree_paths.hpp"
#include "util/clock.hpp"
#include "util/process_runner.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct CertonlyRequest {
  store::TreePaths paths;
  std::string server; // ACME directory URL
  std::vector<std::string> domains;
  std::optional<std::string> cert_name;
  std::string authenticator;                      // "standalone" or "webroot"
  std::map<std::string, std::string> webroot_map; // for webroot: domain -> document root
  std::uint16_t http01_port = 80;
  std::string http01_address; // "" = every address
  AccountRequest account;
  bool force_renewal = false;
  crypto::KeySpec key_spec;
  bool dry_run = false; // obtain, store nothing
  /// Hooks run around this issuance as certbot runs them after certonly; the
  /// first command of each kind is also saved in the renewal conf.
  hooks::HookConfig hooks;
};

struct CertonlyResult {
  enum class Outcome { issued, renewed, kept } outcome = Outcome::issued;
  std::string lineage_name;
  std::string live_dir;
  std::vector<std::string> domains;
  std::string fullchain_path;
  std::string privkey_path;
  std::chrono::system_clock::time_point not_after;
  int requests = 0; // HTTP requests made to the CA
  std::vector<hooks::HookFailure> hook_failures;
};

/// Run certonly. Throws the typed errors of util/error.hpp and acme/problem.hpp.
CertonlyResult run_certonly(const CertonlyRequest& request, http::Transport& transport,
                            util::Clock& clock, util::ProcessRunner& process_runner);

} // namespace certsmith::issuance
