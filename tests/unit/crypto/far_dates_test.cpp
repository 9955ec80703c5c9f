#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"

#include <catch2/catch.hpp>
#include <openssl/pem.h>
#include <openssl/x509.h>

using namespace certsmith;

namespace {

// A self-signed certificate with literal ASN.1 validity strings.
std::string certificate_valid(const char* not_before, const char* not_after) {
  auto key = crypto::PrivateKey::generate({});
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  ASN1_TIME_set_string(X509_getm_notBefore(cert), not_before);
  ASN1_TIME_set_string(X509_getm_notAfter(cert), not_after);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("far.example.com"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key.get());
  X509_sign(cert, key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

} // namespace

TEST_CASE("RFC 5280's no-expiry date and year-1 dates are clamped, not overflowed") {
  auto facts = crypto::read_certificate(certificate_valid("00010101000000Z", "99991231235959Z"));
  CHECK(facts.not_before < std::chrono::system_clock::from_time_t(0));
  CHECK(facts.not_after > std::chrono::system_clock::from_time_t(7'000'000'000));
  CHECK(facts.not_before < facts.not_after);
}
