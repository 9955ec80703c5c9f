#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::crypto;

TEST_CASE("sha256 gives the FIPS 180-2 known answers", "[crypto][digest]") {
  CHECK(to_hex(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256("abc").size() == 32);
}

TEST_CASE("to_hex is lower-case and keeps every byte", "[crypto][digest]") {
  CHECK(to_hex("") == "");
  CHECK(to_hex(std::string("\x00\xff\x10\xAB", 4)) == "00ff10ab");
}

TEST_CASE("hmac matches RFC 4231 test case 2", "[crypto][digest]") {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  CHECK(to_hex(hmac("SHA256", key, data)) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(to_hex(hmac("SHA384", key, data)) ==
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
        "8e2240ca5e69e2c78b3239ecfab21649");
  CHECK(to_hex(hmac("SHA512", key, data)) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST_CASE("hmac reproduces the RFC 7515 A.1 HS256 signature", "[crypto][digest]") {
  const auto key =
      base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0"
                       "iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(key);
  const std::string input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
                            "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
                            "LmNvbS9pc19yb290Ijp0cnVlfQ";
  CHECK(base64url_encode(hmac("SHA256", *key, input)) ==
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

TEST_CASE("hmac accepts an empty key and data", "[crypto][digest]") {
  CHECK(hmac("SHA256", "", "") == test::reference_hmac_sha256("", ""));
  CHECK(hmac("SHA256", "", "data") == test::reference_hmac_sha256("", "data"));
}

TEST_CASE("hmac refuses algorithms outside SHA-2", "[crypto][digest]") {
  CHECK_THROWS_AS(hmac("MD5", "k", "d"), certsmith::CryptoError);
  CHECK_THROWS_AS(hmac("sha256", "k", "d"), certsmith::CryptoError);
  CHECK_THROWS_AS(hmac("", "k", "d"), certsmith::CryptoError);
  CHECK_THROWS_AS(hmac(std::string_view("SHA256\0", 7), "k", "d"), certsmith::CryptoError);
}
