#include "issuance/certonly.hpp"

#include "acme/identifier.hpp"
#include "crypto/certificate.hpp"
#include "issuance/issue_lineage.hpp"
#include "issuance/webroot_map.hpp"
#include "renew/due.hpp"
#include "renew/expiry_index.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <set>

namespace certsmith::issuance {

namespace {

std::set<std::string> names_of(const std::vector<acme::Identifier>& identifiers) {
  std::set<std::string> names;
  for (const auto& identifier : identifiers)
    names.insert(identifier.value);
  return names;
}

std::set<std::string> names_of(const crypto::CertificateFacts& facts) {
  std::set<std::string> names(facts.dns_names.begin(), facts.dns_names.end());
  names.insert(facts.ip_addresses.begin(), facts.ip_addresses.end());
  return names;
}

// The lineage this request continues: the one named by --cert-name, else the
// one whose certificate holds exactly the requested names (certbot's match).
// The expiry index spares parsing every lineage's certificate on each run.
std::optional<store::Lineage> find_lineage(const CertonlyRequest& request,
                                           const std::set<std::string>& names) {
  if (request.cert_name) {
    if (!std::filesystem::exists(request.paths.renewal_conf(*request.cert_name)))
      return std::nullopt;
    return store::Lineage::load(request.paths, *request.cert_name);
  }
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(request.paths));
  std::optional<store::Lineage> found;
  for (const auto& name : store::Lineage::list_names(request.paths)) {
    try {
      store::Lineage lineage = store::Lineage::load(request.paths, name);
      const auto& facts = index.facts_for(lineage);
      if (std::set<std::string>(facts.names.begin(), facts.names.end()) == names) {
        found = std::move(lineage);
        break;
      }
    } catch (const Error& error) {
      util::log_debug("skipping lineage {}: {}", name, error.what());
    }
  }
  try {
    index.save();
  } catch (const Error& error) {
    util::log_debug("expiry index not saved: {}", error.what());
  }
  return found;
}

// What the renewal conf will record: the lineage's earlier settings (so keys
// certbot set survive) overridden by this command line.
store::RenewalParams renewal_params(const CertonlyRequest& request,
                                    const std::optional<store::RenewalParams>& previous) {
  store::RenewalParams params = previous.value_or(store::RenewalParams{});
  params.authenticator = request.authenticator;
  params.server = request.server;
  if (request.key_spec.algorithm == crypto::KeyAlgorithm::rsa) {
    params.key_type = "rsa";
    params.rsa_key_size = request.key_spec.rsa_bits;
    params.elliptic_curve.clear();
  } else {
    params.key_type = "ecdsa";
    params.elliptic_curve = request.key_spec.curve;
  }
  params.webroot_map.clear();
  params.webroot_path.clear();
  params.http01_port.reset();
  params.http01_address.clear();
  if (request.authenticator == "webroot") {
    params.webroot_map = request.webroot_map;
    params.webroot_path = webroot_paths_of(request.webroot_map);
  } else {
    if (request.http01_port != 80)
      params.http01_port = request.http01_port;
    params.http01_address = request.http01_address;
  }
  params.must_staple = request.must_staple ? std::optional(true) : std::nullopt;
  params.preferred_chain = request.preferred_chain;
  params.preferred_profile = request.preferred_profile;
  params.required_profile = request.required_profile;
  if (!request.hooks.deploy_hooks.empty())
    params.renew_hook = request.hooks.deploy_hooks.front();
  if (!request.hooks.pre_hooks.empty())
    params.pre_hook = request.hooks.pre_hooks.front();
  if (!request.hooks.post_hooks.empty())
    params.post_hook = request.hooks.post_hooks.front();
  return params;
}

} // namespace

CertonlyResult run_certonly(const CertonlyRequest& request, http::Transport& transport,
                            util::Clock& clock, util::ProcessRunner& process_runner) {
  if (request.domains.empty())
    throw UsageError("no domains given: name them with -d example.com");
  if (request.cert_name)
    store::validate_cert_name(*request.cert_name);
  std::vector<acme::Identifier> identifiers = acme::make_identifiers(request.domains, {});
  std::set<std::string> names = names_of(identifiers);

  std::optional<store::Lineage> lineage = find_lineage(request, names);
  CertonlyResult result;
  if (lineage && !request.force_renewal) {
    auto facts = crypto::read_certificate(lineage->read_cert_pem());
    auto before = lineage->params().renew_before_expiry
                      ? renew::parse_renew_before_expiry(*lineage->params().renew_before_expiry)
                      : std::nullopt;
    if (names_of(facts) == names &&
        !renew::is_due(facts.not_before, facts.not_after, before, clock.now())) {
      result.outcome = CertonlyResult::Outcome::kept;
      result.lineage_name = lineage->name();
      result.fullchain_path = lineage->fullchain_path().string();
      result.privkey_path = lineage->privkey_path().string();
      result.not_after = facts.not_after;
      return result;
    }
  }

  RunContext context(request.paths, transport, clock, request.account);
  IssueRequest issue;
  issue.identifiers = identifiers;
  issue.params = renewal_params(request, lineage ? std::optional(lineage->params())
                                                 : std::optional<store::RenewalParams>());
  issue.existing = lineage ? &*lineage : nullptr;
  if (!lineage)
    issue.new_name = request.cert_name
                         ? *request.cert_name
                         : store::choose_lineage_name(request.paths, identifiers.front().value);
  issue.dry_run = request.dry_run;
  result.domains.assign(names.begin(), names.end());

  hooks::HookRunner hook_runner(request.hooks, process_runner);
  hook_runner.run_pre_hooks();
  IssuedLineage issued;
  try {
    issued = issue_lineage(context, issue);
  } catch (const Error&) {
    hook_runner.run_post_hooks({}, result.domains);
    throw;
  }
  hook_runner.run_deploy_hooks(issued.live_dir, result.domains);
  hook_runner.run_post_hooks(result.domains, {});
  result.hook_failures = hook_runner.failures();

  result.outcome = lineage ? CertonlyResult::Outcome::renewed : CertonlyResult::Outcome::issued;
  result.lineage_name = issued.name;
  result.live_dir = issued.live_dir;
  result.fullchain_path = issued.fullchain_path;
  result.privkey_path = issued.privkey_path;
  result.not_after = issued.not_after;
  result.requests = issued.requests;
  return result;
}

} // namespace certsmith::issuance
