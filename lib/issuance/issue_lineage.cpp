#include "issuance/issue_lineage.hpp"

#include "acme/problem.hpp"
#include "crypto/certificate.hpp"
#include "crypto/csr.hpp"
#include "issuance/fallback.hpp"
#include "issuance/key_request.hpp"
#include "issuance/must_staple.hpp"
#include "issuance/obtain.hpp"
#include "issuance/placeholder_key.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <memory>

namespace certsmith::issuance {

namespace {

// Let's Encrypt's exemption from the per-domain limit: a previous certificate
// from the CA (not a placeholder) for exactly these names.
bool renews_for_the_ca(const IssueRequest& request, const std::vector<std::string>& names) {
  if (request.existing == nullptr || placeholder_is_live(request.existing->params()))
    return false;
  try {
    auto facts = crypto::read_certificate(request.existing->read_cert_pem());
    std::vector<std::string> previous = facts.dns_names;
    previous.insert(previous.end(), facts.ip_addresses.begin(), facts.ip_addresses.end());
    return ratelimit::counts_as_renewal(previous, true, names);
  } catch (const Error&) {
    return false; // no readable previous certificate: a new order
  }
}

} // namespace

crypto::PrivateKey key_for(const IssueRequest& request) {
  crypto::KeySpec wanted = key_spec_of(request.params);
  if (request.existing && !request.new_key && request.params.reuse_key.value_or(false)) {
    std::optional<crypto::PrivateKey> reusable =
        placeholder_is_live(request.existing->params())
            ? key_before_placeholder(*request.existing) // placeholder_key.hpp
            : crypto::PrivateKey::from_pem(request.existing->read_privkey_pem());
    if (!reusable) {
      util::log_info("No key from the CA's earlier certificates of {} to reuse: making a new key.",
                     request.existing->name());
      return crypto::PrivateKey::generate(wanted);
    }
    crypto::PrivateKey current = std::move(*reusable);
    // A reused key is kept only while it is the kind the conf asks for: a
    // changed size or curve, not only a changed type, makes a new one.
    if (same_key_kind(current.spec(), wanted))
      return current;
    util::log_info("The key settings changed: making a new key for {}.", request.existing->name());
  }
  return crypto::PrivateKey::generate(wanted);
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
  static util::SystemProcessRunner system_runner; // thread-safe, like every runner
  return issue_lineage(context, request, system_runner);
}

IssuedLineage issue_lineage(RunContext& context, const IssueRequest& request,
                            util::ProcessRunner& process_runner) {
  std::vector<std::string> names;
  for (const auto& identifier : request.identifiers)
    names.push_back(identifier.value);
  const std::string& server = request.params.server;
  const std::filesystem::path& work_dir = context.paths().work_dir;
  // First, before the CA is contacted at all (account, solvers).
  if (!request.dry_run)
    ratelimit::before_order(work_dir, context.rate_limit_policy(), server, names,
                            context.clock().now(), renews_for_the_ca(request, names));
  std::vector<std::unique_ptr<challenge::Solver>> solvers =
      make_solvers(context, request.params, request.identifiers, process_runner);
  std::vector<challenge::Solver*> preferred_solvers;
  for (const auto& solver : solvers)
    preferred_solvers.push_back(solver.get());
  AccountClient account = context.client_for(request.params.server, request.params.account);

  crypto::PrivateKey key = key_for(request);
  crypto::CsrOptions csr;
  csr.must_staple = request.params.must_staple.value_or(false);
  if (csr.must_staple)
    util::log_warning("{}", must_staple_warning(request.params.server));
  for (const auto& identifier : request.identifiers)
    (identifier.type == "ip" ? csr.ip_addresses : csr.dns_names).push_back(identifier.value);
  std::optional<IssuedCertificate> obtained;
  try {
    obtained = obtain_certificate(*account.client, account.thumbprint, request.identifiers,
                                  crypto::make_csr_der(key, csr), preferred_solvers,
                                  OrderPreferences{request.replaces, request.params.preferred_chain,
                                                   request.params.preferred_profile,
                                                   request.params.required_profile});
  } catch (const acme::AcmeError& error) {
    // Remembered so that the next run does not ask again before the CA's time.
    if (error.problem().is_rate_limit() && error.problem().retry_at && !request.dry_run)
      ratelimit::after_rate_limited(work_dir, server, names, *error.problem().retry_at,
                                    context.clock().now(), error.problem().detail);
    throw;
  }
  IssuedCertificate& issued = *obtained;
  // The CA counts the certificate from now on, even if storing it fails below.
  if (!request.dry_run)
    ratelimit::after_issuance(work_dir, server, names, context.clock().now());

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
  params.certsmith_live_kind.clear(); // a certificate from the CA replaces any placeholder
  params.certsmith_names.clear();
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
