#include "issuance/placeholder_key.hpp"

#include "crypto/certificate.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <string>

namespace certsmith::issuance {

namespace {

constexpr std::size_t k_max_pem_bytes = 1 << 20;

std::filesystem::path archive_file(const store::Lineage& lineage, const char* kind, int version) {
  return lineage.archive_dir() / (std::string(kind) + std::to_string(version) + ".pem");
}

} // namespace

std::optional<crypto::PrivateKey> key_before_placeholder(const store::Lineage& lineage) {
  std::string placeholder_key;
  try {
    placeholder_key = crypto::PrivateKey::from_pem(lineage.read_privkey_pem()).public_key_der();
  } catch (const Error& error) {
    util::log_debug("live key of {} unreadable: {}", lineage.name(), error.what());
  }
  for (int version = lineage.latest_version(); version >= 1; --version) {
    try {
      auto cert = crypto::read_certificate(
          store::read_file(archive_file(lineage, "cert", version), k_max_pem_bytes));
      if (cert.subject == cert.issuer)
        continue; // a bootstrap or self-signed fallback
      auto key = crypto::PrivateKey::from_pem(
          store::read_file(archive_file(lineage, "privkey", version), k_max_pem_bytes));
      if (key.public_key_der() == placeholder_key)
        continue; // the user fallback itself
      return key;
    } catch (const Error& error) {
      util::log_debug("archive version {} of {} skipped for key reuse: {}", version, lineage.name(),
                      error.what());
    }
  }
  return std::nullopt;
}

} // namespace certsmith::issuance
