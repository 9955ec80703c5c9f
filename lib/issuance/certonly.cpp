#include "issuance/certonly.hpp"

#include "acme/identifier.hpp"
#include "challenge/http01_standalone.hpp"
#include "challenge/http01_webroot.hpp"
#include "crypto/certificate.hpp"
#include "crypto/csr.hpp"
#include "crypto/jwk.hpp"
#include "issuance/obtain.hpp"
#include "renew/due.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <memory>
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
std::optional<store::Lineage> find_lineage(const CertonlyRequest& request,
                                           const std::set<std::string>& names) {
  if (request.cert_name) {
    if (!std::filesystem::exists(request.paths.renewal_conf(*request.cert_name)))
      return std::nullopt;
    return store::Lineage::load(request.paths, *request.cert_name);
  }
  for (const auto& name : store::Lineage::list_names(request.paths)) {
    try {
      store::Lineage lineage = store::Lineage::load(request.paths, name);
      if (names_of(crypto::read_certificate(lineage.read_cert_pem())) == names)
        return lineage;
    } catch (const Error& error) {
      util::log_debug("skipping lineage {}: {}", name, error.what());
    }
  }
  return std::nullopt;
}

std::unique_ptr<challenge::Solver> make_solver(const CertonlyRequest& request,
                                               const std::set<std::string>& names) {
  if (request.authenticator == "standalone") {
    auto responder =
        std::make_shared<challenge::Http01Responder>(request.http01_address, request.http01_port);
    return std::make_unique<challenge::Http01StandaloneSolver>(responder);
  }
  if (request.authenticator == "webroot") {
    std::map<std::string, std::filesystem::path> webroots;
    for (const auto& name : names) {
      auto it = request.webroot_map.find(name);
      if (it == request.webroot_map.end())
        throw UsageError(fmt::format("no webroot for {}: give -w /path before its -d", name));
      webroots.emplace(name, it->second);
    }
    return std::make_unique<challenge::Http01WebrootSolver>(std::move(webroots));
  }
  throw UsageError(fmt::format("unknown authenticator '{}': use --standalone or --webroot",
                               request.authenticator));
}

store::RenewalParams renewal_params(const CertonlyRequest& request, const std::string& account_id,
                                    const std::optional<store::RenewalParams>& previous) {
  // Start from what the lineage recorded, so keys set by certbot survive.
  store::RenewalParams params = previous.value_or(store::RenewalParams{});
  params.account = account_id;
  params.authenticator = request.authenticator;
  params.server = request.server;
  params.key_type = request.key_spec.algorithm == crypto::KeyAlgorithm::rsa ? "rsa" : "ecdsa";
  if (request.key_spec.algorithm == crypto::KeyAlgorithm::rsa) {
    params.rsa_key_size = request.key_spec.rsa_bits;
    params.elliptic_curve.clear();
  } else {
    params.elliptic_curve = request.key_spec.curve;
  }
  params.webroot_map.clear();
  params.webroot_path.clear();
  params.http01_port.reset();
  params.http01_address.clear();
  if (request.authenticator == "webroot") {
    params.webroot_map = request.webroot_map;
    std::set<std::string> roots;
    for (const auto& [domain, root] : request.webroot_map) {
      if (roots.insert(root).second)
        params.webroot_path.push_back(root);
    }
  } else {
    if (request.http01_port != 80)
      params.http01_port = request.http01_port;
    params.http01_address = request.http01_address;
  }
  return params;
}

} // namespace

CertonlyResult run_certonly(const CertonlyRequest& request, http::Transport& transport,
                            util::Clock& clock) {
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

  std::unique_ptr<challenge::Solver> solver = make_solver(request, names);
  acme::Client client(transport, clock, request.server);
  store::StoredAccount account = ensure_account(request.paths, client, request.account);

  crypto::PrivateKey key = crypto::PrivateKey::generate(request.key_spec);
  crypto::CsrOptions csr;
  for (const auto& identifier : identifiers)
    (identifier.type == "ip" ? csr.ip_addresses : csr.dns_names).push_back(identifier.value);
  IssuedCertificate issued =
      obtain_certificate(client, crypto::jwk_thumbprint(account.key), identifiers,
                         crypto::make_csr_der(key, csr), {solver.get()});

  std::string key_pem = key.to_pem();
  if (!crypto::certificate_matches_key(issued.cert_pem, key_pem))
    throw acme::ProtocolError("the certificate from the CA is not for the key we sent");
  auto facts = crypto::read_certificate(issued.cert_pem);
  store::CertificateFiles files{issued.cert_pem, issued.chain_pem, issued.fullchain_pem, key_pem};

  if (lineage) {
    store::save_successor(*lineage, files, renewal_params(request, account.id, lineage->params()));
    result.outcome = CertonlyResult::Outcome::renewed;
  } else {
    std::string name = request.cert_name
                           ? *request.cert_name
                           : store::choose_lineage_name(request.paths, identifiers.front().value);
    lineage = store::create_lineage(request.paths, name, files,
                                    renewal_params(request, account.id, std::nullopt));
  }
  result.lineage_name = lineage->name();
  result.fullchain_path = lineage->fullchain_path().string();
  result.privkey_path = lineage->privkey_path().string();
  result.not_after = facts.not_after;
  result.requests = client.request_count();
  util::log_debug("{} requests to the CA", result.requests);
  return result;
}

} // namespace certsmith::issuance
