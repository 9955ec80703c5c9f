#include "challenge/serve_redirect.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using certsmith::challenge::host_of_header;
using certsmith::challenge::https_location;

TEST_CASE("redirect host: names and IP literals, port dropped", "[challenge][serve]") {
  CHECK(host_of_header("example.com") == "example.com");
  CHECK(host_of_header("Example.COM:8080") == "Example.COM");
  CHECK(host_of_header("example.com.") == "example.com.");
  CHECK(host_of_header("192.0.2.1:80") == "192.0.2.1");
  CHECK(host_of_header("[2001:db8::1]:80") == "[2001:db8::1]");
  CHECK(host_of_header("[::1]") == "[::1]");
  CHECK(host_of_header("xn--bcher-kva.example") == "xn--bcher-kva.example");
}

TEST_CASE("redirect host: anything that could smuggle text is refused", "[challenge][serve]") {
  for (const std::string& hostile : std::vector<std::string>{"",
                                                             ":80",
                                                             "example.com:",
                                                             "example.com:80a",
                                                             "example.com:123456",
                                                             "a b",
                                                             "evil.com/x",
                                                             "evil.com\r\nSet-Cookie: x",
                                                             "evil.com\nx",
                                                             "user@evil.com",
                                                             "evil.com?x",
                                                             "evil.com#x",
                                                             "a..b",
                                                             ".a",
                                                             "a\tb",
                                                             "[::1",
                                                             "[::1]x",
                                                             "[evil.com]",
                                                             "[]",
                                                             "exa%0dmple",
                                                             std::string(254, 'a'),
                                                             std::string(64, 'a') + ".com",
                                                             std::string("a\0b", 3),
                                                             "\xc3\xa9.example"}) {
    CAPTURE(hostile);
    CHECK_FALSE(host_of_header(hostile));
    CHECK_FALSE(https_location(hostile, "/", {}));
  }
}

TEST_CASE("redirect location re-encodes the decoded path and query", "[challenge][serve]") {
  CHECK(https_location("example.com:80", "/", {}) == "https://example.com/");
  CHECK(https_location("example.com", "/a/b.html", {{"x", "1"}, {"flag", std::nullopt}}) ==
        "https://example.com/a/b.html?x=1&flag");
  CHECK(https_location("example.com", "/\r\nSet-Cookie: x", {}) ==
        "https://example.com/%0D%0ASet-Cookie%3A%20x");
  CHECK(https_location("example.com", "/p", {{"a&b", "c=d e"}}) ==
        "https://example.com/p?a%26b=c%3Dd%20e");
  CHECK(https_location("example.com", "relative", {}) == "https://example.com/relative");
}
