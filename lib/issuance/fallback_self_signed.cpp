#include "issuance/fallback_self_signed.hpp"

#include "crypto/private_key.hpp"
#include "crypto/self_signed.hpp"
#include "issuance/fallback_kind.hpp"
#include "issuance/issue_lineage.hpp"
#include "util/log.hpp"

namespace certsmith::issuance {

store::CertificateFiles self_signed_files(const std::vector<acme::Identifier>& identifiers,
                                          const store::RenewalParams& params,
                                          std::string organization,
                                          std::chrono::system_clock::time_point now) {
  crypto::PrivateKey key = crypto::PrivateKey::generate(key_spec_of(params));
  crypto::SelfSignedRequest request;
  for (const auto& identifier : identifiers)
    (identifier.type == "ip" ? request.ip_addresses : request.dns_names)
        .push_back(identifier.value);
  request.organization = std::move(organization);
  // An hour back: a client whose clock is a little behind still accepts it.
  request.not_before = now - std::chrono::hours(1);
  request.not_after = now + k_self_signed_validity;
  store::CertificateFiles files;
  files.cert_pem = crypto::make_self_signed_certificate(key, request);
  // The tree keeps chain.pem non-empty and fullchain.pem = cert + chain: a
  // self-signed certificate is its own issuer, so it is its own chain.
  files.chain_pem = files.cert_pem;
  files.fullchain_pem = files.cert_pem + files.chain_pem;
  files.privkey_pem = key.to_pem();
  return files;
}

store::Lineage create_bootstrap_lineage(const store::TreePaths& paths, const std::string& name,
                                        const std::vector<acme::Identifier>& identifiers,
                                        store::RenewalParams params,
                                        std::chrono::system_clock::time_point now) {
  store::CertificateFiles files =
      self_signed_files(identifiers, params, "certsmith self-signed bootstrap", now);
  params.certsmith_live_kind = live_kind_name(LiveKind::self_signed_bootstrap);
  params.certsmith_names = identifier_values(identifiers);
  util::log_info("Wrote a self-signed bootstrap certificate for {} (valid {} days); it is "
                 "replaced when the CA issues the real one.",
                 name, k_self_signed_validity.count() / 24);
  return store::create_lineage(paths, name, files, params);
}

std::vector<std::string> identifier_values(const std::vector<acme::Identifier>& identifiers) {
  std::vector<std::string> values;
  for (const auto& identifier : identifiers)
    values.push_back(identifier.value);
  return values;
}

} // namespace certsmith::issuance
