#include "crypto/csr.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

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

// ---- read_csr: CSRs from the user -------------------------------------------

namespace {

// A CSR with any CN and dNSName bytes, built straight with OpenSSL: make_csr
// refuses such names, a hostile user's tool does not.
std::string raw_csr_der(const PrivateKey& key, const std::string& common_name,
                        const std::vector<std::string>& dns_names) {
  X509_REQ* request = X509_REQ_new();
  REQUIRE(request != nullptr);
  if (!common_name.empty()) {
    X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(request), NID_commonName, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.data()),
                               static_cast<int>(common_name.size()), -1, 0);
  }
  if (!dns_names.empty()) {
    GENERAL_NAMES* names = GENERAL_NAMES_new();
    for (const auto& dns_name : dns_names) {
      ASN1_IA5STRING* value = ASN1_IA5STRING_new();
      ASN1_STRING_set(value, dns_name.data(), static_cast<int>(dns_name.size()));
      GENERAL_NAME* name = GENERAL_NAME_new();
      GENERAL_NAME_set0_value(name, GEN_DNS, value);
      sk_GENERAL_NAME_push(names, name);
    }
    STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(extensions, X509V3_EXT_i2d(NID_subject_alt_name, 0, names));
    X509_REQ_add_extensions(request, extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    GENERAL_NAMES_free(names);
  }
  X509_REQ_set_pubkey(request, key.get());
  REQUIRE(X509_REQ_sign(request, key.get(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(request, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  X509_REQ_free(request);
  return out;
}

} // namespace

TEST_CASE("read_csr reads the names of a PEM or DER CSR", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrOptions options{{"example.com", "www.example.com"}, {"192.0.2.1", "2001:db8::1"}, false};
  for (const std::string& encoded : {make_csr_pem(key, options), make_csr_der(key, options)}) {
    const CsrContents csr = read_csr(encoded);
    CHECK(csr.common_name == "example.com");
    CHECK_THAT(csr.dns_names, Equals(options.dns_names));
    CHECK_THAT(csr.ip_addresses, Equals(options.ip_addresses));
    CHECK(read_csr(csr.der).dns_names == csr.dns_names);
  }
}

TEST_CASE("read_csr reads a CSR without subjectAltName (CN only)", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const CsrContents csr = read_csr(raw_csr_der(key, "cn-only.example.com", {}));
  CHECK(csr.common_name == "cn-only.example.com");
  CHECK(csr.dns_names.empty());
  CHECK(csr.ip_addresses.empty());
}

TEST_CASE("read_csr refuses a CSR whose signature does not verify", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({KeyAlgorithm::rsa, "", 2048});
  std::string der = make_csr_der(key, dns_only({"example.com"}));
  der.back() = static_cast<char>(der.back() ^ 0x01); // the last signature byte
  CHECK_THROWS_WITH(read_csr(der), Catch::Contains("signature does not verify"));
}

TEST_CASE("read_csr refuses what is not one CSR", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::string pem = make_csr_pem(key, dns_only({"example.com"}));
  const std::string der = make_csr_der(key, dns_only({"example.com"}));
  std::string garbage;
  for (int i = 0; i < 1024; ++i)
    garbage += static_cast<char>(i % 256);
  const std::vector<std::string> hostile = {
      "",
      pem.substr(0, pem.size() / 2), // truncated PEM
      der.substr(0, der.size() / 2), // truncated DER
      der + "junk",                  // trailing bytes after the DER
      garbage,                       // binary garbage
      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
      std::string(k_max_csr_bytes + 1, 'A'),    // huge
      pem + std::string(k_max_csr_bytes, '\n'), // a real CSR padded past the limit
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  };
  for (const auto& input : hostile) {
    CAPTURE(input.size());
    CHECK_THROWS_AS(read_csr(input), CryptoError);
  }
}

TEST_CASE("read_csr refuses names no host name holds", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::vector<std::pair<std::string, std::vector<std::string>>> hostile = {
      {"bad name.example.com", {}},
      {"example.com\nX-Injected: 1", {}},
      {"", {"example.com/../x"}},
      {"", {"\x1b[31mred.example.com"}},
      {"", {std::string("example.com\0evil.com", 20)}},
      {"", {""}},
  };
  for (const auto& [common_name, dns_names] : hostile) {
    CAPTURE(common_name, dns_names);
    CHECK_THROWS_AS(read_csr(raw_csr_der(key, common_name, dns_names)), CryptoError);
  }
  // The message quotes the name escaped: no control byte reaches a terminal.
  try {
    read_csr(raw_csr_der(key, "", {"\x1b[31mred.example.com"}));
    FAIL("accepted");
  } catch (const CryptoError& error) {
    CHECK(std::string(error.what()).find('\x1b') == std::string::npos);
  }
}

TEST_CASE("a wildcard or a CSR without names is read; the caller judges them", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  CHECK(read_csr(raw_csr_der(key, "", {"*.example.com"})).dns_names ==
        std::vector<std::string>{"*.example.com"});
  const CsrContents empty = read_csr(raw_csr_der(key, "", {}));
  CHECK(empty.common_name.empty());
  CHECK(empty.dns_names.empty());
}

TEST_CASE("certificate_matches_csr compares the certificate's key with the CSR's",
          "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  const PrivateKey other = PrivateKey::generate({});
  const PrivateKey issuer = PrivateKey::generate({});
  const CsrContents csr = read_csr(make_csr_der(key, dns_only({"example.com"})));
  test::CertificateSpec spec;
  spec.dns_names = {"example.com"};
  spec.not_before = std::chrono::system_clock::now();
  spec.not_after = spec.not_before + std::chrono::hours(24);
  CHECK(certificate_matches_csr(test::make_certificate_pem(spec, key, issuer), csr));
  CHECK_FALSE(certificate_matches_csr(test::make_certificate_pem(spec, other, issuer), csr));
  CHECK_THROWS_AS(certificate_matches_csr("not a certificate", csr), CryptoError);
}

TEST_CASE("read_csr reads an IP address as the common name, IPv6 included", "[crypto][csr]") {
  const PrivateKey key = PrivateKey::generate({});
  CHECK(read_csr(raw_csr_der(key, "2001:db8::1", {})).common_name == "2001:db8::1");
  CHECK(read_csr(raw_csr_der(key, "::ffff:192.0.2.1", {})).common_name == "::ffff:192.0.2.1");
  CHECK(read_csr(raw_csr_der(key, "192.0.2.1", {})).common_name == "192.0.2.1");
  // Colons are still no part of a host name: only a whole address gets through.
  for (const char* hostile : {"2001:db8::1 x", "example.com:443", "2001:db8::1%eth0", "[::1]",
                              "::1/128", "1:2:3:4:5:6:7:8:9"}) {
    CAPTURE(hostile);
    CHECK_THROWS_AS(read_csr(raw_csr_der(key, hostile, {})), CryptoError);
  }
  CHECK_THROWS_AS(read_csr(raw_csr_der(key, std::string("::1\0evil.example", 16), {})),
                  CryptoError);
}
