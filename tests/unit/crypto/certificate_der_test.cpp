#include "crypto/certificate.hpp"
#include "crypto/certificate_der.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;

namespace {

std::string certificate_pem(const std::string& name, const crypto::PrivateKey& key) {
  crypto::test::CertificateSpec spec;
  spec.dns_names = {name};
  spec.not_before = system_clock::now();
  spec.not_after = spec.not_before + hours(24);
  return crypto::test::make_certificate_pem(spec, key, key);
}

} // namespace

TEST_CASE("certificate DER: the first certificate of a PEM bundle") {
  auto key = crypto::PrivateKey::generate({});
  std::string leaf = certificate_pem("leaf.example.com", key);
  std::string issuer = certificate_pem("issuer.example.com", key);
  std::string der = crypto::certificate_der(leaf);
  REQUIRE(der.size() > 100);
  CHECK(static_cast<unsigned char>(der[0]) == 0x30); // an ASN.1 SEQUENCE
  CHECK(crypto::certificate_der(leaf + issuer) == der);
  CHECK(crypto::certificate_der(issuer) != der);
}

TEST_CASE("certificate DER: truncated or foreign input is a CryptoError") {
  auto key = crypto::PrivateKey::generate({});
  std::string leaf = certificate_pem("leaf.example.com", key);
  CHECK_THROWS_AS(crypto::certificate_der(leaf.substr(0, leaf.size() / 2)), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(""), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(key.to_pem()), CryptoError);
}
