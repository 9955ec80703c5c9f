#include "crypto/certificate.hpp"
#include "crypto/self_signed.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono_literals;

namespace {

crypto::SelfSignedRequest request_for(std::vector<std::string> dns,
                                      std::vector<std::string> ips = {}) {
  crypto::SelfSignedRequest request;
  request.dns_names = std::move(dns);
  request.ip_addresses = std::move(ips);
  request.organization = "certsmith self-signed fallback";
  request.not_before = std::chrono::system_clock::now() - 1h;
  request.not_after = request.not_before + 7 * 24h;
  return request;
}

} // namespace

TEST_CASE("a self-signed certificate names the request's names and matches its key",
          "[self_signed]") {
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::ecdsa, "secp256r1", 0});
  auto request = request_for({"a.example.com", "*.example.com"}, {"192.0.2.1", "2001:db8::1"});
  std::string pem = crypto::make_self_signed_certificate(key, request);
  auto facts = crypto::read_certificate(pem);
  CHECK(facts.dns_names == std::vector<std::string>{"a.example.com", "*.example.com"});
  CHECK(facts.ip_addresses.size() == 2);
  CHECK(facts.subject == facts.issuer);
  CHECK(facts.subject.find("O=certsmith self-signed fallback") != std::string::npos);
  CHECK(facts.key_type == "ECDSA");
  CHECK(std::chrono::floor<std::chrono::seconds>(facts.not_after) ==
        std::chrono::floor<std::chrono::seconds>(request.not_after));
  CHECK(crypto::certificate_matches_key(pem, key.to_pem()));
}

TEST_CASE("a self-signed certificate can carry an RSA key", "[self_signed]") {
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::rsa, "", 2048});
  std::string pem = crypto::make_self_signed_certificate(key, request_for({"rsa.example.com"}));
  CHECK(crypto::read_certificate(pem).key_type == "RSA");
}

TEST_CASE("a self-signed certificate refuses names that would inject subjectAltName entries",
          "[self_signed]") {
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::ecdsa, "secp256r1", 0});
  CHECK_THROWS_AS(crypto::make_self_signed_certificate(key, request_for({"a.com,DNS:evil.com"})),
                  CryptoError);
  CHECK_THROWS_AS(crypto::make_self_signed_certificate(key, request_for({""})), CryptoError);
  CHECK_THROWS_AS(crypto::make_self_signed_certificate(key, request_for({})), CryptoError);
  auto backwards = request_for({"a.example.com"});
  backwards.not_after = backwards.not_before - 1h;
  CHECK_THROWS_AS(crypto::make_self_signed_certificate(key, backwards), CryptoError);
}
