#include "crypto/base64url.hpp"

#include <catch2/catch.hpp>
#include <string>

using certsmith::crypto::base64url_decode;
using certsmith::crypto::base64url_encode;
using certsmith::crypto::is_base64url;

TEST_CASE("base64url encodes the RFC 4648 §10 vectors without padding", "[crypto][base64url]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64url_encode(plain) == encoded);
    const auto decoded = base64url_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64url matches the RFC 7515 appendix examples", "[crypto][base64url]") {
  // Appendix A.1 protected header and payload (with their CRLFs), Appendix C octets.
  CHECK(base64url_encode("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}") ==
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
  CHECK(base64url_encode("{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
                         "\"http://example.com/is_root\":true}") ==
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
        "cnVlfQ");
  const std::string octets{'\x03', '\xec', '\xff', '\xe0', '\xc1'};
  CHECK(base64url_encode(octets) == "A-z_4ME");
  CHECK(base64url_decode("A-z_4ME") == octets);
}

TEST_CASE("base64url round-trips every byte value", "[crypto][base64url]") {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string bytes = all.substr(0, length);
    CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
  }
  CHECK(base64url_decode(base64url_encode(all)) == all);
}

TEST_CASE("base64url_decode rejects hostile input", "[crypto][base64url]") {
  const std::string hostile[] = {
      "Zg==",     // padding
      "Zm8=",     // padding
      "Zm9v+w",   // '+' from the standard alphabet
      "Zm9v/w",   // '/' from the standard alphabet
      "Zm 9v",    // space
      "Zm9v\n",   // newline
      "Zm9v\tYg", // tab
      "Zm9vY",    // len % 4 == 1
      "A",        // len % 4 == 1
      std::string("Zm\0v", 4),
      "Zm9v\xff\xfe",
      "Zm9v.Yg",
  };
  for (const auto& text : hostile) {
    CAPTURE(text);
    CHECK_FALSE(base64url_decode(text));
  }
}

TEST_CASE("is_base64url accepts only a non-empty base64url alphabet", "[crypto][base64url]") {
  CHECK(is_base64url("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
  CHECK(is_base64url("a-_Z09"));
  CHECK_FALSE(is_base64url(""));
  CHECK_FALSE(is_base64url("../../etc/passwd"));
  CHECK_FALSE(is_base64url("token/with/slash"));
  CHECK_FALSE(is_base64url("abc="));
  CHECK_FALSE(is_base64url("abc def"));
  CHECK_FALSE(is_base64url(std::string("abc\0def", 7)));
  CHECK_FALSE(is_base64url("abc\n"));
}
