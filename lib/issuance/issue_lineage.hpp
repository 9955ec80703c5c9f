#pragma once
// One certificate for one lineage, from the settings a renewal conf records:
// pick the solvers, get the account, make or reuse the key, obtain, and store
// as a new lineage or the next version of an existing one. certonly and renew
// both come through here.

#include "acme/identifier.hpp"
#include "challenge/solver.hpp"
#include "issuance/run_context.hpp"
#include "issuance/solver_choice.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"
#include "util/process_runner.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct IssueRequest {
  std::vector<acme::Identifier> identifiers;
  store::RenewalParams params;        // authenticator, server, key settings, webroots, ...
  store::Lineage* existing = nullptr; // renew this lineage; nullptr = create new_name
  std::string new_name;               // for a new lineage
  bool dry_run = false;               // obtain, store nothing
  std::string replaces;               // ARI certificate ID of the certificate replaced
  bool new_key = false;               // --new-key: a fresh key this time even when params.reuse_key
};

struct IssuedLineage {
  std::string name;
  std::string live_dir;
  std::string fullchain_path;
  std::string privkey_path;
  std::chrono::system_clock::time_point not_after;
  int version = 0; // archive version written; 0 on a dry run
  int requests = 0;
};

/// Throws UsageError for settings that cannot work (unknown authenticator, a
/// domain without a webroot), and the errors of obtain_certificate and store.
/// Manual hooks run through process_runner (the 2-argument form: the system's).
IssuedLineage issue_lineage(RunContext& context, const IssueRequest& request,
                            util::ProcessRunner& process_runner);
IssuedLineage issue_lineage(RunContext& context, const IssueRequest& request);

/// The private key an issuance uses: the lineage's own when params.reuse_key
/// (and not new_key) and it is still the kind params asks for (algorithm, RSA
/// size, curve), else a fresh one of that kind. While a fallback placeholder is
/// live, the reused key is the CA certificate's before it (placeholder_key.hpp).
crypto::PrivateKey key_for(const IssueRequest& request);

/// The key spec a renewal conf asks for (certbot: no key_type means RSA).
crypto::KeySpec key_spec_of(const store::RenewalParams& params);

} // namespace certsmith::issuance
