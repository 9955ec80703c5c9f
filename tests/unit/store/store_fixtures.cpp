#include "store_fixtures.hpp"

#include "crypto/private_key.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::store::test {

TempTree::TempTree() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/certsmith-store-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_root = pattern;
}

TempTree::~TempTree() {
  std::error_code ignored;
  // Tests make files read-only; restore write access so that removal works as non-root.
  for (auto it = std::filesystem::recursive_directory_iterator(m_root, ignored);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
    if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ignored);
    }
  }
  std::filesystem::remove_all(m_root, ignored);
}

namespace {

// A certificate for `key` named `common_name` (also as DNS SAN), signed by
// `issuer_key` under the name `issuer_name`.
std::string make_certificate(const crypto::PrivateKey& key, const std::string& common_name,
                             const crypto::PrivateKey& issuer_key, const std::string& issuer_name) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 90L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> issuer(X509_NAME_new(), X509_NAME_free);
  X509_NAME_add_entry_by_txt(issuer.get(), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(issuer_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer.get());
  X509_set_pubkey(cert.get(), key.get());
  std::string san = "DNS:" + common_name;
  std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)> extension(
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()),
      X509_EXTENSION_free);
  X509_add_ext(cert.get(), extension.get(), -1);
  if (X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("X509_sign failed");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

} // namespace

CertificateFiles make_certificate_files(const std::string& common_name) {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec{});
  auto issuer_key = crypto::PrivateKey::generate(crypto::KeySpec{});
  CertificateFiles files;
  files.cert_pem = make_certificate(key, common_name, issuer_key, "certsmith test issuer");
  files.chain_pem =
      make_certificate(issuer_key, "certsmith test issuer", issuer_key, "certsmith test issuer");
  files.fullchain_pem = files.cert_pem + files.chain_pem;
  files.privkey_pem = key.to_pem();
  return files;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw std::runtime_error("stat failed: " + path.string());
  }
  return st.st_mode & 07777;
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

RenewalParams standalone_params(const std::string& key_type) {
  RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://127.0.0.1:14000/dir";
  params.key_type = key_type;
  return params;
}

Lineage lineage_with_versions(const TreePaths& paths, const std::string& name, int versions) {
  Lineage lineage = create_lineage(paths, name, make_certificate_files(name), standalone_params());
  for (int n = 2; n <= versions; ++n) {
    save_successor(lineage, make_certificate_files(name), standalone_params());
  }
  return Lineage::load_for_check(paths, name);
}

} // namespace certsmith::store::test
