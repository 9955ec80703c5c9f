#include <catch2/catch.hpp>

#include "util/escape.hpp"

using certsmith::util::escape_untrusted;

TEST_CASE("printable text and UTF-8 pass unchanged") {
  CHECK(escape_untrusted("Invalid response from http://a.example.com") ==
        "Invalid response from http://a.example.com");
  CHECK(escape_untrusted("b\xc3\xbc" "cher") == "b\xc3\xbc" "cher");
}

TEST_CASE("control characters cannot reach the terminal") {
  CHECK(escape_untrusted("a\x1b[31mred\r\nb\x7f") == "a\\x1b[31mred\\x0d\\nb\\x7f");
  CHECK(escape_untrusted("\xff\xfe") == "\\xff\\xfe");
  CHECK(escape_untrusted("\xe2\x82") == "\\xe2\\x82"); // truncated UTF-8
  CHECK(escape_untrusted("back\\slash") == "back\\\\slash");
}

TEST_CASE("long text is cut with an ellipsis, exact fits are not") {
  CHECK(escape_untrusted(std::string(10, 'a'), 10) == std::string(10, 'a'));
  CHECK(escape_untrusted(std::string(11, 'a'), 10) == std::string(10, 'a') + "...");
  CHECK(escape_untrusted(std::string(5000, '\x01'), 8).size() == 11);
}
