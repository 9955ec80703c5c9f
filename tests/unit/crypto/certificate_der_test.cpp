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

TEST_CASE("certificate DER: a DER file is taken as it is (certbot tries PEM, then DER)") {
  auto key = crypto::PrivateKey::generate({});
  std::string leaf = certificate_pem("leaf.example.com", key);
  std::string der = crypto::certificate_der(leaf);
  CHECK(crypto::certificate_der(der) == der);
  // Its PEM form reads as the same certificate.
  std::string pem = crypto::certificate_pem_from_der(der);
  CHECK_THAT(pem, Catch::StartsWith("-----BEGIN CERTIFICATE-----\n"));
  CHECK(crypto::certificate_der(pem) == der);
  CHECK(crypto::read_certificate(pem).serial_hex == crypto::read_certificate(leaf).serial_hex);
}

TEST_CASE("certificate DER: DER with trailing bytes, truncated DER or garbage is a CryptoError") {
  auto key = crypto::PrivateKey::generate({});
  std::string der = crypto::certificate_der(certificate_pem("leaf.example.com", key));
  // The whole input must be the one certificate: nothing after it, nothing missing.
  CHECK_THROWS_AS(crypto::certificate_der(der + "x"), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(der + der), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(der.substr(0, der.size() - 1)), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(std::string("\x30\x82\xff\xff", 4)), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_der(std::string(1, '\0')), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_pem_from_der(der + "x"), CryptoError);
  CHECK_THROWS_AS(crypto::certificate_pem_from_der("-----BEGIN CERTIFICATE-----"), CryptoError);
}
