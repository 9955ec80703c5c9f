#include "issuance/issue_lineage.hpp"

#include "challenge/http01_standalone.hpp"
#include "challenge/http01_webroot.hpp"
#include "crypto/certificate.hpp"
#include "crypto/csr.hpp"
#include "issuance/key_request.hpp"
#include "issuance/must_staple.hpp"
#include "issuance/obtain.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <memory>

namespace certsmith::issuance {

namespace {

void refuse_wildcards_for_http01(const std::vector<acme::Identifier>& identifiers) {
  for (const auto& identifier : identifiers)
    if (identifier.value.starts_with("*."))
      throw UsageError(fmt::format("{} is a wildcard name: a CA validates wildcards only over "
                                   "dns-01, not http-01 (use a DNS authenticator)",
                                   identifier.value));
}

} // namespace

crypto::PrivateKey key_for(const IssueRequest& request) {
  crypto::KeySpec wanted = key_spec_of(request.params);
  if (request.existing && !request.new_key && request.params.reuse_key.value_or(false)) {
    crypto::PrivateKey current = crypto::PrivateKey::from_pem(request.existing->read_privkey_pem());
    // A reused key is kept only while it is the kind the conf asks for: a
    // changed size or curve, not only a changed type, makes a new one.
    if (same_key_kind(current.spec(), wanted))
      return current;
    util::log_info("The key settings changed: making a new key for {}.", request.existing->name());
  }
  return crypto::PrivateKey::generate(wanted);
}

std::unique_ptr<challenge::Solver> make_solver(RunContext& context,
                                               const store::RenewalParams& params,
                                               const std::vector<acme::Identifier>& identifiers) {
  if (params.authenticator == "standalone" || params.authenticator == "webroot")
    refuse_wildcards_for_http01(identifiers);
  if (params.authenticator == "standalone") {
    auto port = static_cast<std::uint16_t>(params.http01_port.value_or(80));
    return std::make_unique<challenge::Http01StandaloneSolver>(
        context.responder(params.http01_address, port));
  }
  if (params.authenticator == "webroot") {
    std::map<std::string, std::filesystem::path> webroots;
    for (const auto& identifier : identifiers) {
      auto it = params.webroot_map.find(identifier.value);
      if (it != params.webroot_map.end())
        webroots.emplace(identifier.value, it->second);
      else if (!params.webroot_path.empty()) // certbot: the last -w serves unmapped names
        webroots.emplace(identifier.value, params.webroot_path.back());
      else
        throw UsageError(
            fmt::format("no webroot for {}: give -w /path before its -d", identifier.value));
    }
    return std::make_unique<challenge::Http01WebrootSolver>(std::move(webroots));
  }
  throw UsageError(fmt::format("authenticator '{}' is not supported: use standalone or webroot",
                               params.authenticator));
}

crypto::KeySpec key_spec_of(const store::RenewalParams& params) {
  if (params.key_type == "ecdsa")
    return {crypto::KeyAlgorithm::ecdsa,
            params.elliptic_curve.empty() ? "secp256r1" : params.elliptic_curve, 0};
  if (params.key_type.empty() || params.key_type == "rsa")
    return {crypto::KeyAlgorithm::rsa, "", params.rsa_key_size.value_or(2048)};
  throw UsageError(fmt::format("unsupported key_type '{}': use rsa or ecdsa", params.key_type));
}

IssuedLineage issue_lineage(RunContext& context, const IssueRequest& request) {
  std::unique_ptr<challenge::Solver> solver =
      make_solver(context, request.params, request.identifiers);
  AccountClient account = context.client_for(request.params.server, request.params.account);

  crypto::PrivateKey key = key_for(request);
  crypto::CsrOptions csr;
  csr.must_staple = request.params.must_staple.value_or(false);
  if (csr.must_staple)
    util::log_warning("{}", must_staple_warning(request.params.server));
  for (const auto& identifier : request.identifiers)
    (identifier.type == "ip" ? csr.ip_addresses : csr.dns_names).push_back(identifier.value);
  IssuedCertificate issued = obtain_certificate(
      *account.client, account.thumbprint, request.identifiers, crypto::make_csr_der(key, csr),
      {solver.get()},
      OrderPreferences{request.replaces, request.params.preferred_chain,
                       request.params.preferred_profile, request.params.required_profile});

  std::string key_pem = key.to_pem();
  if (!crypto::certificate_matches_key(issued.cert_pem, key_pem))
    throw acme::ProtocolError("the certificate from the CA is not for the key we sent");
  auto facts = crypto::read_certificate(issued.cert_pem);

  IssuedLineage result;
  result.not_after = facts.not_after;
  result.requests = account.client->request_count();
  if (request.dry_run) {
    result.name = request.existing ? request.existing->name() : request.new_name;
    return result;
  }

  store::RenewalParams params = request.params;
  params.account = account.account_id;
  store::CertificateFiles files{issued.cert_pem, issued.chain_pem, issued.fullchain_pem, key_pem};
  std::optional<store::Lineage> created;
  store::Lineage* lineage = request.existing;
  if (lineage) {
    result.version = store::save_successor(*lineage, files, params);
  } else {
    created = store::create_lineage(context.paths(), request.new_name, files, params);
    lineage = &*created;
    result.version = 1;
  }
  result.name = lineage->name();
  result.live_dir = lineage->live_dir().string();
  result.fullchain_path = lineage->fullchain_path().string();
  result.privkey_path = lineage->privkey_path().string();
  util::log_debug("{}: {} requests to the CA", result.name, result.requests);
  return result;
}

} // namespace certsmith::issuance
