#include "crypto/csr.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;
using Catch::Matchers::Equals;
using certsmith::CryptoError;

namespace {

CsrOptions dns_only(std::vector<std::string> dns_names) {
  CsrOptions options;
  options.dns_names = std::move(dns_names);
  return options;
}

} // namespace

TEST_CASE("a CSR carries every DNS name, the first as CN", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrOptions options{{"example.com", "www.example.com", "*.example.org"}, {}, false};
  const auto facts = test::read_csr_der(make_csr_der(key, options), key);
  CHECK(facts.version == 0);
  CHECK(facts.common_name == "example.com");
  CHECK_THAT(facts.dns_names, Equals(options.dns_names));
  CHECK(facts.ip_addresses.empty());
  CHECK_FALSE(facts.has_must_staple);
  CHECK(facts.signature_valid);
  CHECK(facts.public_key_matches);
  CHECK(facts.signature_digest == "SHA256");
}

TEST_CASE("a CSR carries IP addresses as iPAddress entries (RFC 8738)", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrOptions options{{"example.com"}, {"192.0.2.1", "2001:db8::1"}, false};
  const auto facts = test::read_csr_der(make_csr_der(key, options), key);
  CHECK_THAT(facts.dns_names, Equals(std::vector<std::string>{"example.com"}));
  CHECK_THAT(facts.ip_addresses, Equals(std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  CHECK(facts.signature_valid);

  const CsrOptions ip_only{{}, {"198.51.100.7"}, false};
  const auto ip_facts = test::read_csr_der(make_csr_der(key, ip_only), key);
  CHECK(ip_facts.common_name.empty());
  CHECK(ip_facts.dns_names.empty());
  CHECK_THAT(ip_facts.ip_addresses, Equals(ip_only.ip_addresses));
  CHECK(ip_facts.signature_valid);
}

TEST_CASE("a first name longer than 64 bytes stays out of the CN", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::string long_name = std::string(60, 'a') + ".example.com";
  const std::string name_64 = std::string(52, 'b') + ".example.com";
  REQUIRE(name_64.size() == 64);

  const auto facts =
      test::read_csr_der(make_csr_der(key, dns_only({long_name, "short.example"})), key);
  CHECK(facts.common_name.empty());
  CHECK_THAT(facts.dns_names, Equals(std::vector<std::string>{long_name, "short.example"}));
  CHECK(facts.signature_valid);

  CHECK(test::read_csr_der(make_csr_der(key, dns_only({name_64})), key).common_name == name_64);
}

TEST_CASE("must_staple adds the TLS Feature status_request extension", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const auto facts = test::read_csr_der(make_csr_der(key, {{"example.com"}, {}, true}), key);
  REQUIRE(facts.has_must_staple);
  CHECK(facts.must_staple_value == std::string("\x30\x03\x02\x01\x05", 5));
  CHECK(facts.signature_valid);
}

TEST_CASE("CSRs from P-384 and RSA keys verify", "[crypto][csr]") {
  const PrivateKey p384 = PrivateKey::generate({KeyAlgorithm::ecdsa, "secp384r1"});
  const auto p384_facts = test::read_csr_der(make_csr_der(p384, dns_only({"example.com"})), p384);
  CHECK(p384_facts.signature_valid);
  CHECK(p384_facts.public_key_matches);
  CHECK(p384_facts.signature_digest == "SHA384");

  const PrivateKey rsa = PrivateKey::generate({KeyAlgorithm::rsa, "", 2048});
  const auto rsa_facts = test::read_csr_der(make_csr_der(rsa, {{"example.com"}, {}, true}), rsa);
  CHECK(rsa_facts.signature_valid);
  CHECK(rsa_facts.public_key_matches);
  CHECK(rsa_facts.has_must_staple);
  CHECK(rsa_facts.signature_digest == "SHA256");
}

TEST_CASE("make_csr_pem writes a parseable CERTIFICATE REQUEST", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrOptions options{{"example.com", "www.example.com"}, {"192.0.2.1"}, true};
  const std::string pem = make_csr_pem(key, options);
  CHECK(pem.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0) == 0);
  CHECK(pem.find("-----END CERTIFICATE REQUEST-----\n") != std::string::npos);
  const auto facts = test::read_csr_pem(pem, key);
  CHECK_THAT(facts.dns_names, Equals(options.dns_names));
  CHECK_THAT(facts.ip_addresses, Equals(options.ip_addresses));
  CHECK(facts.has_must_staple);
  CHECK(facts.signature_valid);
}

TEST_CASE("make_csr refuses hostile names", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrOptions hostile[] = {
      {},
      {{""}, {}, false},
      {{"example.com", ""}, {}, false},
      {{"exa mple.com"}, {}, false},
      {{"example.com\nX-Injected: 1"}, {}, false},
      {{std::string("example.com\0evil.com", 20)}, {}, false},
      {{"ex\xc3\xa4mple.com"}, {}, false},
      {{"example.com/../x"}, {}, false},
      {{}, {"999.1.1.1"}, false},
      {{}, {"example.com"}, false},
      {{}, {""}, false},
      {{}, {"192.0.2.1/24"}, false},
      {{}, {std::string("192.0.2.1\0junk", 14)}, false},
      {{"example.com"}, {"2001:db8:::1"}, false},
  };
  for (const auto& options : hostile) {
    CAPTURE(options.dns_names, options.ip_addresses);
    CHECK_THROWS_AS(make_csr_der(key, options), CryptoError);
  }
}
