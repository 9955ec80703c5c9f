#include "crypto/base64url.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jws.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;
using certsmith::CryptoError;
using nlohmann::json;

namespace {

std::string decode(const json& member) {
  const auto bytes = base64url_decode(member.get<std::string>());
  REQUIRE(bytes);
  return *bytes;
}

} // namespace

TEST_CASE("sign_jws produces verifiable ES256, ES384 and RS256 signatures", "[crypto][jws]") {
  const std::pair<KeySpec, std::size_t> cases[] = {
      {{KeyAlgorithm::ecdsa, "secp256r1"}, 64},
      {{KeyAlgorithm::ecdsa, "secp384r1"}, 96},
      {{KeyAlgorithm::rsa, "", 2048}, 256},
  };
  for (const auto& [spec, signature_size] : cases) {
    const PrivateKey key = PrivateKey::generate(spec);
    const std::string alg = jws_algorithm(key);
    CAPTURE(alg);
    const json header = {{"alg", alg},
                         {"jwk", public_jwk(key)},
                         {"nonce", "oFvnlFP1wIhRlYS2jTaXbA"},
                         {"url", "https://example.com/acme/new-account"}};
    const std::string payload = R"({"termsOfServiceAgreed":true})";
    const json jws = sign_jws(key, header, payload);

    CHECK(jws.size() == 3);
    CHECK(json::parse(decode(jws["protected"])) == header);
    CHECK(decode(jws["protected"]) == header.dump());
    CHECK(decode(jws["payload"]) == payload);
    CHECK(decode(jws["signature"]).size() == signature_size);
    CHECK(test::verify_jws(jws, key));

    json tampered = jws;
    tampered["payload"] = base64url_encode(R"({"termsOfServiceAgreed":false})");
    CHECK_FALSE(test::verify_jws(tampered, key));
    CHECK_FALSE(test::verify_jws(jws, PrivateKey::generate(spec)));
  }
}

TEST_CASE("sign_jws keeps a POST-as-GET payload empty", "[crypto][jws]") {
  const PrivateKey key = PrivateKey::generate({});
  const json jws = sign_jws(key, {{"alg", "ES256"}, {"kid", "https://example.com/acct/1"}}, "");
  CHECK(jws["payload"] == "");
  CHECK(test::verify_jws(jws, key));
}

TEST_CASE("ECDSA signatures differ per call but all verify", "[crypto][jws]") {
  const PrivateKey key = PrivateKey::generate({});
  const json header = {{"alg", "ES256"}};
  const json first = sign_jws(key, header, "x");
  const json second = sign_jws(key, header, "x");
  CHECK(first["signature"] != second["signature"]);
  CHECK(test::verify_jws(first, key));
  CHECK(test::verify_jws(second, key));
}

TEST_CASE("sign_jws refuses a header whose alg does not fit the key", "[crypto][jws]") {
  const PrivateKey key = PrivateKey::generate({});
  CHECK_THROWS_AS(sign_jws(key, json::object(), "{}"), CryptoError);
  CHECK_THROWS_AS(sign_jws(key, {{"alg", "RS256"}}, "{}"), CryptoError);
  CHECK_THROWS_AS(sign_jws(key, {{"alg", "none"}}, "{}"), CryptoError);
  CHECK_THROWS_AS(sign_jws(key, {{"alg", 256}}, "{}"), CryptoError);
  CHECK_THROWS_AS(sign_jws(key, json::array({"alg", "ES256"}), "{}"), CryptoError);
  CHECK_THROWS_AS(sign_jws(key, json("ES256"), "{}"), CryptoError);
}

TEST_CASE("sign_jws turns a non-UTF-8 server value into CryptoError", "[crypto][jws]") {
  const PrivateKey key = PrivateKey::generate({});
  const json header = {{"alg", "ES256"}, {"nonce", "abc\xff\xfe"}, {"url", "https://x/"}};
  CHECK_THROWS_AS(sign_jws(key, header, ""), CryptoError);
  CHECK_THROWS_AS(sign_eab("k", "kid\xc3", "https://x/", public_jwk(key)), CryptoError);
}

TEST_CASE("sign_eab is an HS256 JWS over the account JWK", "[crypto][jws]") {
  const PrivateKey account = PrivateKey::generate({});
  const json account_jwk = public_jwk(account);
  const std::string mac_key =
      *base64url_decode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3M"
                        "OLF2mtWwsdsIfsBgwbuG1ZpFg4Hf-0_tgw");
  const std::string url = "https://example.com/acme/new-account";
  const json eab = sign_eab(mac_key, "kid-1", url, account_jwk);

  CHECK(json::parse(decode(eab["protected"])) ==
        json({{"alg", "HS256"}, {"kid", "kid-1"}, {"url", url}}));
  CHECK(json::parse(decode(eab["payload"])) == account_jwk);
  const std::string signing_input =
      eab["protected"].get<std::string>() + "." + eab["payload"].get<std::string>();
  CHECK(decode(eab["signature"]) == test::reference_hmac_sha256(mac_key, signing_input));
  CHECK(decode(eab["signature"]).size() == 32);
}

TEST_CASE("sign_eab refuses an empty MAC key", "[crypto][jws]") {
  const json account_jwk = public_jwk(PrivateKey::generate({}));
  CHECK_THROWS_AS(sign_eab("", "kid", "https://example.com/new-account", account_jwk), CryptoError);
}

TEST_CASE("sign_eab gives known HMAC values for HS256, HS384 and HS512", "[crypto][jws]") {
  // Expected signatures computed independently with Python's hmac module over
  // the same compact serializations (sorted keys, no spaces).
  const json account_jwk = {{"crv", "P-256"},
                            {"kty", "EC"},
                            {"x", "bpYWrYfPw9U7Whyy_kziO-mWj_YZXXzSILnAclbPsGM"},
                            {"y", "egsHHHjztNQXM0tElSa0PBnZQzBA2PU7XLGHmJ-Upb4"}};
  // Pebble's example key "kid-1".
  const std::string mac_key =
      *base64url_decode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W");
  const std::string url = "https://127.0.0.1:14000/sign-me-up";
  struct Known {
    const char* algorithm;
    const char* signature;
  };
  const Known cases[] = {
      {"HS256", "Twj9xC76qYGqMe106cAXh_-8LW2tO11qjA55GWrAb98"},
      {"HS384", "7BpEsdmDrARVJwy7tuOQmBhYtFE8N5riMAkaT9YuuTN-6m2i3PlGxHwMNcSUt61V"},
      {"HS512",
       "KhsC5nw_qZyJ_9i9JbSWuqUBJRVGuC5Z3pPvNH38sHp864Mzrz3l0Scd0MhpPpeuVJCKde0UnD2neXFIFPLbVg"},
  };
  for (const Known& known : cases) {
    INFO(known.algorithm);
    const json eab = sign_eab(mac_key, "kid-1", url, account_jwk, known.algorithm);
    CHECK(json::parse(decode(eab["protected"]))["alg"] == known.algorithm);
    CHECK(eab["signature"] == known.signature);
  }
}

TEST_CASE("sign_eab refuses algorithms other than HS256, HS384 and HS512", "[crypto][jws]") {
  const json account_jwk = public_jwk(PrivateKey::generate({}));
  for (const char* algorithm : {"", "hs256", "HS1", "none", "RS256", "HS256 "}) {
    INFO(algorithm);
    CHECK_THROWS_AS(
        sign_eab("key", "kid", "https://example.com/new-account", account_jwk, algorithm),
        CryptoError);
  }
}
