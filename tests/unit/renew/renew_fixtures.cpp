#include "renew_fixtures.hpp"

#include "crypto/private_key.hpp"
#include "support/openssl_fixtures.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace certsmith::renew::test {

TempTree::TempTree() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/certsmith-renew-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  m_root = pattern;
}

TempTree::~TempTree() {
  std::error_code ignored;
  std::filesystem::remove_all(m_root, ignored);
}

store::CertificateFiles make_files(const CertSpec& spec) {
  auto key = crypto::PrivateKey::generate({});
  auto issuer_key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec cert;
  cert.subject_common_name = spec.dns_names.empty() ? "example.com" : spec.dns_names.front();
  cert.dns_names = spec.dns_names;
  cert.serial_hex = spec.serial_hex;
  cert.not_before = spec.not_before;
  cert.not_after = spec.not_after;
  cert.authority_key_id = spec.authority_key_id;
  crypto::test::CertificateSpec issuer;
  issuer.subject_common_name = "certsmith test CA";
  issuer.not_before = spec.not_before;
  issuer.not_after = spec.not_after;
  store::CertificateFiles files;
  files.cert_pem = crypto::test::make_certificate_pem(cert, key, issuer_key);
  files.chain_pem = crypto::test::make_certificate_pem(issuer, issuer_key, issuer_key);
  files.fullchain_pem = files.cert_pem + files.chain_pem;
  files.privkey_pem = key.to_pem();
  return files;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void spit(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

} // namespace certsmith::renew::test
