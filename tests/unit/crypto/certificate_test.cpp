#include "crypto/certificate.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;
using Catch::Matchers::Equals;
using certsmith::CryptoError;
using std::chrono::system_clock;

namespace {

system_clock::time_point at(std::time_t seconds) {
  return system_clock::from_time_t(seconds);
}

constexpr std::time_t k_2024_01_01 = 1704067200;
constexpr std::time_t k_2024_04_01 = 1711929600;
constexpr std::time_t k_2051_01_01 = 2556144000; // GeneralizedTime territory

struct Chain {
  PrivateKey root_key = PrivateKey::generate({KeyAlgorithm::ecdsa, "secp384r1"});
  PrivateKey intermediate_key = PrivateKey::generate({});
  PrivateKey leaf_key = PrivateKey::generate({});
  std::string leaf;
  std::string intermediate;
  std::string root;

  Chain() {
    test::CertificateSpec leaf_spec;
    leaf_spec.subject_common_name = "example.com";
    leaf_spec.issuer_common_name = "Test Intermediate E1";
    leaf_spec.dns_names = {"example.com", "www.example.com"};
    leaf_spec.ip_addresses = {"192.0.2.1", "2001:db8::1"};
    leaf_spec.serial_hex = "00fa0000000000000000000000000000000001";
    leaf_spec.not_before = at(k_2024_01_01);
    leaf_spec.not_after = at(k_2024_04_01);
    leaf_spec.authority_key_id = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a";
    leaf = test::make_certificate_pem(leaf_spec, leaf_key, intermediate_key);

    test::CertificateSpec intermediate_spec;
    intermediate_spec.subject_common_name = "Test Intermediate E1";
    intermediate_spec.issuer_common_name = "Test Root X9";
    intermediate_spec.serial_hex = "7f";
    intermediate_spec.not_before = at(k_2024_01_01);
    intermediate_spec.not_after = at(k_2051_01_01);
    intermediate = test::make_certificate_pem(intermediate_spec, intermediate_key, root_key);

    test::CertificateSpec root_spec;
    root_spec.subject_common_name = "Test Root X9";
    root_spec.issuer_common_name = "Test Root X9";
    root_spec.serial_hex = "0123456789ABCDEF0123456789ABCDEF";
    root_spec.not_before = at(k_2024_01_01);
    root_spec.not_after = at(k_2051_01_01);
    root = test::make_certificate_pem(root_spec, root_key, root_key);
  }
};

} // namespace

TEST_CASE("read_certificate reports the facts of a leaf", "[crypto][certificate]") {
  const Chain chain;
  const CertificateFacts facts = read_certificate(chain.leaf);
  CHECK(facts.subject == "CN=example.com");
  CHECK(facts.issuer == "CN=Test Intermediate E1,O=certsmith tests");
  CHECK(facts.issuer_common_name == "Test Intermediate E1");
  CHECK_THAT(facts.dns_names, Equals(std::vector<std::string>{"example.com", "www.example.com"}));
  CHECK_THAT(facts.ip_addresses, Equals(std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  CHECK(facts.not_before == at(k_2024_01_01));
  CHECK(facts.not_after == at(k_2024_04_01));
  CHECK(facts.serial_hex == "fa0000000000000000000000000000000001");
  // DER content octets keep the 0x00 that makes the INTEGER positive (RFC 9773 §4.1).
  CHECK(facts.serial_der == std::string("\x00\xfa", 2) + std::string(16, '\0') + "\x01");
  CHECK(facts.authority_key_id == "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a");
  CHECK(facts.key_type == "ECDSA");
}

TEST_CASE("read_certificate handles GeneralizedTime, short serials and no AKI/SAN",
          "[crypto][certificate]") {
  const Chain chain;
  const CertificateFacts intermediate = read_certificate(chain.intermediate);
  CHECK(intermediate.not_after == at(k_2051_01_01));
  CHECK(intermediate.serial_hex == "7f");
  CHECK(intermediate.serial_der == "\x7f");
  CHECK(intermediate.authority_key_id.empty());
  CHECK(intermediate.dns_names.empty());
  CHECK(intermediate.ip_addresses.empty());

  const CertificateFacts root = read_certificate(chain.root);
  CHECK(root.serial_hex == "123456789abcdef0123456789abcdef");
  CHECK(root.serial_der == "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef");
  CHECK(root.issuer_common_name == "Test Root X9");
}

TEST_CASE("read_certificate reads only the first certificate of a bundle",
          "[crypto][certificate]") {
  const Chain chain;
  const CertificateFacts facts = read_certificate(chain.leaf + chain.intermediate + chain.root);
  CHECK(facts.subject == "CN=example.com");
  CHECK(facts.issuer_common_name == "Test Intermediate E1");
}

TEST_CASE("read_certificate reports RSA keys and escapes names per RFC 2253",
          "[crypto][certificate]") {
  const PrivateKey rsa = PrivateKey::generate({KeyAlgorithm::rsa, "", 2048});
  test::CertificateSpec spec;
  spec.subject_common_name = "a,b+c";
  spec.issuer_common_name = "CA \"quoted\"";
  spec.not_before = at(k_2024_01_01);
  spec.not_after = at(k_2024_04_01);
  const CertificateFacts facts = read_certificate(test::make_certificate_pem(spec, rsa, rsa));
  CHECK(facts.key_type == "RSA");
  CHECK(facts.subject == "CN=a\\,b\\+c");
  CHECK(facts.issuer == "CN=CA \\\"quoted\\\",O=certsmith tests");
  CHECK(facts.issuer_common_name == "CA \"quoted\"");
}

TEST_CASE("read_certificate rejects garbage and truncated PEM", "[crypto][certificate]") {
  const Chain chain;
  const std::string hostile[] = {
      "",
      "garbage",
      chain.leaf.substr(0, chain.leaf.size() / 2),
      chain.leaf.substr(0, chain.leaf.size() - 26),
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
      chain.leaf_key.to_pem(),
  };
  for (const auto& text : hostile) {
    CAPTURE(text);
    CHECK_THROWS_AS(read_certificate(text), CryptoError);
  }
}

TEST_CASE("split_pem_chain returns each certificate as its own block", "[crypto][certificate]") {
  const Chain chain;
  const auto blocks = split_pem_chain(chain.leaf + chain.intermediate + chain.root);
  CHECK_THAT(blocks, Equals(std::vector<std::string>{chain.leaf, chain.intermediate, chain.root}));
}

TEST_CASE("split_pem_chain normalizes line endings and ignores text between blocks",
          "[crypto][certificate]") {
  const Chain chain;
  auto crlf = [](const std::string& text) {
    std::string out;
    for (const char c : text) {
      out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    return out;
  };
  std::string last = chain.root;
  last.pop_back(); // no final newline
  const std::string bundle = "subject=CN = example.com\n" + crlf(chain.leaf) + "\n\n" +
                             "issuer=CN = Test Root X9\n" + chain.intermediate + last;
  const auto blocks = split_pem_chain(bundle);
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0] == chain.leaf);
  CHECK(blocks[1] == chain.intermediate);
  CHECK(blocks[2] == chain.root);
  for (const auto& block : blocks) {
    CHECK(block.back() == '\n');
    CHECK(read_certificate(block).serial_hex.size() > 0);
  }
}

TEST_CASE("split_pem_chain rejects bundles with no or broken certificates",
          "[crypto][certificate]") {
  const Chain chain;
  const std::string hostile[] = {
      "",
      "garbage\n",
      chain.leaf_key.to_pem(),
      chain.leaf.substr(0, chain.leaf.size() / 2),                      // BEGIN without END
      chain.leaf + chain.intermediate.substr(0, 200),                   // second block truncated
      chain.leaf.substr(0, chain.leaf.size() / 2) + chain.intermediate, // lost END, nested BEGIN
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      chain.leaf + "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
      std::string(chain.leaf).replace(100, 10, "**********"),
  };
  for (const auto& text : hostile) {
    CAPTURE(text);
    CHECK_THROWS_AS(split_pem_chain(text), CryptoError);
  }
}

TEST_CASE("certificate_matches_key compares public halves", "[crypto][certificate]") {
  const Chain chain;
  CHECK(certificate_matches_key(chain.leaf, chain.leaf_key.to_pem()));
  CHECK_FALSE(certificate_matches_key(chain.leaf, chain.intermediate_key.to_pem()));
  CHECK_FALSE(certificate_matches_key(chain.leaf, chain.root_key.to_pem()));
  CHECK(certificate_matches_key(chain.root, chain.root_key.to_pem()));
  CHECK_THROWS_AS(certificate_matches_key("garbage", chain.leaf_key.to_pem()), CryptoError);
  CHECK_THROWS_AS(certificate_matches_key(chain.leaf, "garbage"), CryptoError);
}

TEST_CASE("top_issuer_common_name names the root the topmost certificate chains to",
          "[crypto][certificate]") {
  const Chain chain;
  CHECK(top_issuer_common_name(chain.leaf + chain.intermediate) == "Test Root X9");
  CHECK(top_issuer_common_name(chain.leaf) == "Test Intermediate E1");
  CHECK(top_issuer_common_name(chain.leaf + chain.intermediate + chain.root) == "Test Root X9");
  CHECK_THROWS_AS(top_issuer_common_name("no certificate here"), CryptoError);
}

TEST_CASE("is_chain_for_leaf wants the same leaf and every link signed by the next",
          "[crypto][certificate]") {
  const Chain chain;
  CHECK(is_chain_for_leaf(chain.leaf + chain.intermediate, chain.leaf));
  CHECK(is_chain_for_leaf(chain.leaf + chain.intermediate + chain.root, chain.leaf));
  CHECK(is_chain_for_leaf(chain.leaf, chain.leaf));

  // Another leaf, even one with the same names and issuer.
  const Chain other;
  CHECK_FALSE(is_chain_for_leaf(other.leaf + other.intermediate, chain.leaf));
  // The right leaf followed by an intermediate that did not sign it.
  CHECK_FALSE(is_chain_for_leaf(chain.leaf + other.intermediate, chain.leaf));
  // Links out of order.
  CHECK_FALSE(is_chain_for_leaf(chain.leaf + chain.root + chain.intermediate, chain.leaf));
  CHECK_THROWS_AS(is_chain_for_leaf("garbage", chain.leaf), CryptoError);
}
