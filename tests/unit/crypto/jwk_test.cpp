#include "crypto/base64url.hpp"
#include "crypto/jwk.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;
using certsmith::CryptoError;
using nlohmann::json;

namespace {

std::size_t decoded_size(const json& member) {
  const auto bytes = base64url_decode(member.get<std::string>());
  REQUIRE(bytes);
  return bytes->size();
}

// Flip one byte of a base64url member, keeping it the same length.
json with_changed_member(json jwk, const char* name) {
  std::string bytes = *base64url_decode(jwk[name].get<std::string>());
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  jwk[name] = base64url_encode(bytes);
  return jwk;
}

} // namespace

TEST_CASE("public_jwk of EC keys has fixed-width coordinates", "[crypto][jwk]") {
  const PrivateKey p256 = PrivateKey::generate({KeyAlgorithm::ecdsa, "secp256r1"});
  const json jwk = public_jwk(p256);
  CHECK(jwk.size() == 4);
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["crv"] == "P-256");
  CHECK(decoded_size(jwk["x"]) == 32);
  CHECK(decoded_size(jwk["y"]) == 32);

  const json jwk384 = public_jwk(PrivateKey::generate({KeyAlgorithm::ecdsa, "secp384r1"}));
  CHECK(jwk384["crv"] == "P-384");
  CHECK(decoded_size(jwk384["x"]) == 48);
  CHECK(decoded_size(jwk384["y"]) == 48);
}

TEST_CASE("EC coordinates with a leading zero byte keep full width", "[crypto][jwk]") {
  // About one P-256 key in 256 has an x below 2^248; look for one.
  for (int attempt = 0; attempt < 4000; ++attempt) {
    const PrivateKey key = PrivateKey::generate({});
    if (test::ec_public_x_bytes(key) < 32) {
      const json jwk = public_jwk(key);
      CHECK(decoded_size(jwk["x"]) == 32);
      CHECK(base64url_decode(jwk["x"].get<std::string>())->front() == '\0');
      CHECK(private_key_from_jwk(private_jwk(key)).public_key_der() == key.public_key_der());
      return;
    }
  }
  FAIL("no key with a short x coordinate in 4000 tries");
}

TEST_CASE("EC private JWKs whose members lost their leading zero still load", "[crypto][jwk]") {
  for (int attempt = 0; attempt < 4000; ++attempt) {
    const PrivateKey key = PrivateKey::generate({});
    json jwk = private_jwk(key);
    const std::string d = *base64url_decode(jwk["d"].get<std::string>());
    if (d.front() == '\0') {
      jwk["d"] = base64url_encode(d.substr(1));
      CHECK(private_key_from_jwk(jwk).to_pem() == key.to_pem());
      return;
    }
  }
  FAIL("no key with a short d in 4000 tries");
}

TEST_CASE("public_jwk of RSA keys has minimal n and e", "[crypto][jwk]") {
  const PrivateKey key = PrivateKey::generate({KeyAlgorithm::rsa, "", 2048});
  const json jwk = public_jwk(key);
  CHECK(jwk.size() == 3);
  CHECK(jwk["kty"] == "RSA");
  CHECK(jwk["e"] == "AQAB");
  const std::string n = *base64url_decode(jwk["n"].get<std::string>());
  CHECK(n.size() == 256);
  CHECK(n.front() != '\0');
}

TEST_CASE("private JWKs round-trip for every key kind", "[crypto][jwk]") {
  for (const KeySpec& spec :
       {KeySpec{KeyAlgorithm::ecdsa, "secp256r1"}, KeySpec{KeyAlgorithm::ecdsa, "secp384r1"},
        KeySpec{KeyAlgorithm::rsa, "", 2048}}) {
    const PrivateKey key = PrivateKey::generate(spec);
    const json jwk = private_jwk(key);
    CHECK(jwk.contains("d"));
    if (spec.algorithm == KeyAlgorithm::rsa) {
      for (const char* member : {"p", "q", "dp", "dq", "qi"}) {
        CHECK(jwk.contains(member));
      }
    } else {
      CHECK(decoded_size(jwk["d"]) == (spec.curve == "secp256r1" ? 32U : 48U));
    }
    const PrivateKey again = private_key_from_jwk(jwk);
    CHECK(again.spec() == key.spec());
    CHECK(again.to_pem() == key.to_pem());
    CHECK(private_jwk(again) == jwk);
  }
}

TEST_CASE("jwk_thumbprint matches the RFC 7638 §3.1 example", "[crypto][jwk]") {
  const json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
       "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLy"
       "rdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
       "kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"},
  };
  CHECK(jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("jwk_thumbprint ignores private and optional members", "[crypto][jwk]") {
  const PrivateKey key = PrivateKey::generate({});
  const std::string thumbprint = jwk_thumbprint(key);
  CHECK(thumbprint.size() == 43);
  CHECK(jwk_thumbprint(private_jwk(key)) == thumbprint);
  json extra = public_jwk(key);
  extra["use"] = "sig";
  extra["kid"] = "anything";
  CHECK(jwk_thumbprint(extra) == thumbprint);
}

TEST_CASE("jwk_thumbprint rejects incomplete or foreign JWKs", "[crypto][jwk]") {
  const json ec = public_jwk(PrivateKey::generate({}));
  json missing = ec;
  missing.erase("y");
  json wrong_type = ec;
  wrong_type["x"] = 42;
  const json hostile[] = {
      json::array(),    json("EC"), json::object(),
      missing,          wrong_type, json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}},
      json{{"kty", 1}},
  };
  for (const auto& jwk : hostile) {
    CAPTURE(jwk.dump());
    CHECK_THROWS_AS(jwk_thumbprint(jwk), CryptoError);
  }
}

TEST_CASE("private_key_from_jwk rejects hostile JWKs", "[crypto][jwk]") {
  const json ec = private_jwk(PrivateKey::generate({}));
  const json other_ec = private_jwk(PrivateKey::generate({}));
  const json rsa = private_jwk(PrivateKey::generate({KeyAlgorithm::rsa, "", 2048}));
  const json other_rsa = private_jwk(PrivateKey::generate({KeyAlgorithm::rsa, "", 2048}));

  auto with = [](json jwk, const char* name, json value) {
    jwk[name] = std::move(value);
    return jwk;
  };
  auto without = [](json jwk, const char* name) {
    jwk.erase(name);
    return jwk;
  };
  const std::string short_x = base64url_encode(std::string(31, '\x01'));

  const std::pair<const char*, json> hostile[] = {
      {"not an object", json::array()},
      {"no kty", without(ec, "kty")},
      {"symmetric key", json{{"kty", "oct"}, {"k", "AAAA"}}},
      {"unknown curve", with(ec, "crv", "P-521")},
      {"curve not a string", with(ec, "crv", 256)},
      {"short x off the curve", with(ec, "x", short_x)},
      {"x longer than the field", with(ec, "x", base64url_encode(std::string(33, '\x01')))},
      {"d longer than the field",
       with(ec, "d", base64url_encode("\x01" + *base64url_decode(ec["d"].get<std::string>())))},
      {"x not base64url", with(ec, "x", "+/+/")},
      {"padded x", with(ec, "x", ec["x"].get<std::string>() + "=")},
      {"no d", without(ec, "d")},
      {"d of another key", with(ec, "d", other_ec["d"])},
      {"point off the curve", with_changed_member(ec, "y")},
      {"P-256 members under P-384", with(ec, "crv", "P-384")},
      {"RSA without p", without(rsa, "p")},
      {"RSA with a foreign q", with(rsa, "q", other_rsa["q"])},
      {"RSA with a foreign d", with(rsa, "d", other_rsa["d"])},
      {"RSA n not a string", with(rsa, "n", json::array())},
      {"RSA empty e", with(rsa, "e", "")},
  };
  for (const auto& [what, jwk] : hostile) {
    CAPTURE(what);
    CHECK_THROWS_AS(private_key_from_jwk(jwk), CryptoError);
  }
}

TEST_CASE("jws_algorithm follows the key", "[crypto][jwk]") {
  CHECK(jws_algorithm(PrivateKey::generate({KeyAlgorithm::ecdsa, "secp256r1"})) == "ES256");
  CHECK(jws_algorithm(PrivateKey::generate({KeyAlgorithm::ecdsa, "secp384r1"})) == "ES384");
  CHECK(jws_algorithm(PrivateKey::generate({KeyAlgorithm::rsa, "", 2048})) == "RS256");
}
