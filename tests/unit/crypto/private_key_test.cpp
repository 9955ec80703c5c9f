#include "crypto/private_key.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;
using certsmith::CryptoError;

namespace {

const std::string k_pkcs8_header = "-----BEGIN PRIVATE KEY-----\n";

bool same_public_key(const PrivateKey& a, const PrivateKey& b) {
  return a.public_key_der() == b.public_key_der();
}

} // namespace

TEST_CASE("the default key is ECDSA P-256 and round-trips through PKCS#8", "[crypto][key]") {
  const PrivateKey key = PrivateKey::generate(KeySpec{});
  CHECK(key.spec() == KeySpec{KeyAlgorithm::ecdsa, "secp256r1"});
  const std::string pem = key.to_pem();
  CHECK(pem.rfind(k_pkcs8_header, 0) == 0);
  const PrivateKey again = PrivateKey::from_pem(pem);
  CHECK(same_public_key(key, again));
  CHECK(again.to_pem() == pem);
  CHECK(again.spec() == key.spec());
}

TEST_CASE("P-384 and RSA keys are generated as asked", "[crypto][key]") {
  const PrivateKey p384 = PrivateKey::generate({KeyAlgorithm::ecdsa, "secp384r1"});
  CHECK(p384.spec().curve == "secp384r1");
  CHECK(PrivateKey::from_pem(p384.to_pem()).spec() == p384.spec());

  const PrivateKey rsa = PrivateKey::generate({KeyAlgorithm::rsa, "", 2048});
  CHECK(rsa.spec().algorithm == KeyAlgorithm::rsa);
  CHECK(rsa.spec().rsa_bits == 2048);
  CHECK(rsa.to_pem().rfind(k_pkcs8_header, 0) == 0);
  CHECK(same_public_key(PrivateKey::from_pem(rsa.to_pem()), rsa));

  const PrivateKey rsa3072 = PrivateKey::generate({KeyAlgorithm::rsa, "", 3072});
  CHECK(rsa3072.spec().rsa_bits == 3072);
}

TEST_CASE("two generated keys differ", "[crypto][key]") {
  CHECK_FALSE(same_public_key(PrivateKey::generate({}), PrivateKey::generate({})));
}

TEST_CASE("generate refuses unsupported specs", "[crypto][key]") {
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::ecdsa, "secp521r1"}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::ecdsa, "secp256k1"}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::ecdsa, ""}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::rsa, "", 1024}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::rsa, "", 0}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::rsa, "", -2048}), CryptoError);
  CHECK_THROWS_AS(PrivateKey::generate({KeyAlgorithm::rsa, "", 1 << 20}), CryptoError);
}

TEST_CASE("from_pem reads traditional EC and RSA PEM", "[crypto][key]") {
  for (const KeySpec& spec :
       {KeySpec{KeyAlgorithm::ecdsa, "secp256r1"}, KeySpec{KeyAlgorithm::ecdsa, "secp384r1"},
        KeySpec{KeyAlgorithm::rsa, "", 2048}}) {
    const PrivateKey key = PrivateKey::generate(spec);
    const std::string pem = test::traditional_pem(key);
    const bool ec = spec.algorithm == KeyAlgorithm::ecdsa;
    CHECK(pem.rfind(ec ? "-----BEGIN EC PRIVATE KEY-----" : "-----BEGIN RSA PRIVATE KEY-----", 0) ==
          0);
    const PrivateKey again = PrivateKey::from_pem(pem);
    CHECK(same_public_key(key, again));
    // Re-written as PKCS#8, whatever it was read from.
    CHECK(again.to_pem() == key.to_pem());
  }
}

TEST_CASE("from_pem rejects garbage and damaged PEM", "[crypto][key]") {
  const std::string pem = PrivateKey::generate({}).to_pem();
  const std::string hostile[] = {
      "",
      "garbage",
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      pem.substr(0, pem.size() / 2),               // truncated body, no END
      pem.substr(0, pem.size() - 27),              // END line cut off
      std::string(pem).replace(40, 8, "########"), // damaged base64
      std::string(4096, '\0'),
  };
  for (const auto& text : hostile) {
    CAPTURE(text);
    CHECK_THROWS_AS(PrivateKey::from_pem(text), CryptoError);
  }
}

TEST_CASE("from_pem rejects key kinds certsmith does not support", "[crypto][key]") {
  CHECK_THROWS_WITH(PrivateKey::from_pem(test::foreign_key_pem("EC", "P-521")),
                    Catch::Contains("P-256"));
  CHECK_THROWS_AS(PrivateKey::from_pem(test::foreign_key_pem("EC", "secp256k1")), CryptoError);
  CHECK_THROWS_WITH(PrivateKey::from_pem(test::foreign_key_pem("RSA", "", 1024)),
                    Catch::Contains("2048"));
  CHECK_THROWS_AS(PrivateKey::from_pem(test::foreign_key_pem("ED25519")), CryptoError);
}

TEST_CASE("from_pem fails on an encrypted key instead of prompting", "[crypto][key]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::string pem = test::encrypted_pem(key, "secret");
  CHECK(pem.find("ENCRYPTED PRIVATE KEY") != std::string::npos);
  CHECK_THROWS_AS(PrivateKey::from_pem(pem), CryptoError);
}

TEST_CASE("public_key_der is a SubjectPublicKeyInfo SEQUENCE", "[crypto][key]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::string der = key.public_key_der();
  REQUIRE(der.size() == 91); // P-256 SPKI: 26 bytes of algorithm + 65-byte point
  CHECK(static_cast<unsigned char>(der[0]) == 0x30);
}
