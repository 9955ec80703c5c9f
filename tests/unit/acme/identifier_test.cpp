#include "acme/identifier.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace certsmith;

namespace {

std::string refusal_of(const std::string& domain) {
  try {
    acme::normalize_domain(domain);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "accepted";
}

// Characters UTS #46 maps to ASCII, spelled out because they look like it.
const std::string k_fullwidth_a = "\xef\xbd\x81";         // U+FF41 -> 'a'
const std::string k_fullwidth_slash = "\xef\xbc\x8f";     // U+FF0F -> '/'
const std::string k_fullwidth_backslash = "\xef\xbc\xbc"; // U+FF3C -> '\\'
const std::string k_fullwidth_star = "\xef\xbc\x8a";      // U+FF0A -> '*'
const std::string k_fullwidth_colon = "\xef\xbc\x9a";     // U+FF1A -> ':'
const std::string k_fullwidth_low_line = "\xef\xbc\xbf";  // U+FF3F -> '_'
const std::string k_fullwidth_dot = "\xef\xbc\x8e";       // U+FF0E -> '.'
const std::string k_ideographic_dot = "\xe3\x80\x82";     // U+3002 -> '.'
const std::string k_halfwidth_dot = "\xef\xbd\xa1";       // U+FF61 -> '.'
const std::string k_ideographic_space = "\xe3\x80\x80";   // U+3000 -> ' '
const std::string k_small_question = "\xef\xb9\x96";      // U+FE56 -> '?'
const std::string k_parenthesized_1 = "\xe2\x91\xb4";     // U+2474 -> "(1)"
const std::string k_fullwidth_digit_1 = "\xef\xbc\x91";   // U+FF11 -> '1'

} // namespace

TEST_CASE("domains are normalized") {
  CHECK(acme::normalize_domain("WWW.Example.COM.") == "www.example.com");
  CHECK(acme::normalize_domain("*.example.com") == "*.example.com");
  CHECK(acme::normalize_domain("xn--bcher-kva.example") == "xn--bcher-kva.example");
  CHECK(acme::normalize_domain("a-b.example.com") == "a-b.example.com");
  CHECK(acme::normalize_domain("1.example.com") == "1.example.com");
  CHECK(acme::normalize_domain("example.x1") == "example.x1");
}

TEST_CASE("international names become punycode A-labels (libidn2, UTS #46)") {
  CHECK(acme::normalize_domain("b\xc3\xbc"
                               "cher.example") == "xn--bcher-kva.example");
  CHECK(acme::normalize_domain("B\xc3\x9c"
                               "CHER.Example.") == "xn--bcher-kva.example");
  CHECK(acme::normalize_domain("*.b\xc3\xbc"
                               "cher.example") == "*.xn--bcher-kva.example");
  // Non-transitional: sharp s stays itself instead of becoming "ss".
  CHECK(acme::normalize_domain("stra\xc3\x9f"
                               "e.example") == "xn--strae-oqa.example");
}

TEST_CASE("hostile or malformed domains are refused") {
  for (const char* bad : {"",
                          ".",
                          "localhost",
                          "a;touch /tmp/x.example.com",
                          "../../etc",
                          "a/b.com",
                          "a..b.com",
                          ".example.com",
                          "example.com..",
                          "-a.example.com",
                          "a-.example.com",
                          "*.*.example.com",
                          "a*.example.com",
                          "*example.com",
                          "www.*.example.com",
                          "ex ample.com",
                          "a.example.com\n",
                          "$(id).example.com",
                          "`id`.example.com",
                          "a'b.example.com",
                          "a\"b.example.com",
                          "a_b.example.com",
                          "a|b.example.com",
                          "a\\b.example.com",
                          "a:80.example.com",
                          "example.123",
                          "ab--cd.example.com",
                          "xn--zz.example",
                          "xn--.example",
                          "xn--bcher-kvb.example",
                          "\xe2\x98\x83.example",
                          "\xff.example",
                          "a\xc3.example"}) {
    INFO(bad);
    CHECK_THROWS_AS(acme::normalize_domain(bad), UsageError);
  }
  CHECK_THROWS_AS(acme::normalize_domain(std::string("a\0b.example.com", 15)), UsageError);
  CHECK_THROWS_AS(acme::normalize_domain(std::string(64, 'a') + ".com"), UsageError);
  CHECK_NOTHROW(acme::normalize_domain(std::string(63, 'a') + ".com"));
  CHECK_THROWS_AS(acme::normalize_domain(std::string(300, 'a')), UsageError);
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(61, 'd'); // 253
  CHECK(acme::normalize_domain(longest) == longest);
  CHECK_THROWS_AS(acme::normalize_domain(longest + "d"), UsageError);
}

TEST_CASE("refusals say what is wrong, with the name escaped") {
  CHECK(refusal_of("1.2.3.4") == "invalid domain '1.2.3.4': it is an IP address: request it with "
                                 "--ip-address");
  CHECK(refusal_of("2001:db8::1") ==
        "invalid domain '2001:db8::1': it is an IP address: request it with --ip-address");
  CHECK(refusal_of("a\nb.example") ==
        "invalid domain 'a\\nb.example': it contains a control character");
  CHECK(refusal_of("a\x1b[2Jb.example") ==
        "invalid domain 'a\\x1b[2Jb.example': it contains a control character");
  CHECK(refusal_of("a b.example") == "invalid domain 'a b.example': it contains a space");
  CHECK(refusal_of("a;b.example") == "invalid domain 'a;b.example': it contains ';' (only "
                                     "letters, digits, '-' and '.' are allowed)");
  CHECK(refusal_of("a..b.example") ==
        "invalid domain 'a..b.example': it has an empty label (a leading dot or '..')");
  CHECK(refusal_of("localhost") == "invalid domain 'localhost': not a fully qualified domain "
                                   "name (it needs at least two labels)");
  CHECK(refusal_of("a.*.example") ==
        "invalid domain 'a.*.example': a wildcard may only be the whole first label "
        "(*.example.com)");
  CHECK(
      refusal_of("xn--zz.example")
          .starts_with("invalid domain 'xn--zz.example': not a valid international domain name: "));
  CHECK(refusal_of("\xe2\x98\x83.example").find("disallowed") != std::string::npos);
}

TEST_CASE("characters IDNA maps to forbidden ASCII are refused, not passed on") {
  // libidn2 maps full-width forms to ASCII; the mapped name is what would reach
  // the CA and the file names, so it passes every check the typed one does.
  for (const std::string& bad :
       {k_fullwidth_a + k_fullwidth_slash + "b.example.com",
        "a." + k_fullwidth_star + ".example.com", k_fullwidth_star + "x.example.com",
        k_fullwidth_star + ".example.com", "*." + k_fullwidth_star + ".example.com",
        "example" + k_fullwidth_colon + "80.com", "a" + k_fullwidth_low_line + "b.example.com",
        "a" + k_fullwidth_backslash + "b.example.com", "a" + k_ideographic_space + "b.example.com",
        "a" + k_small_question + ".example.com", k_parenthesized_1 + ".example.com",
        "a" + k_fullwidth_dot + k_fullwidth_dot + "example.com", k_ideographic_dot + "example.com",
        "example.com" + k_ideographic_dot + ".", "localhost" + k_fullwidth_dot,
        "example." + k_fullwidth_digit_1 + "23",
        k_fullwidth_digit_1 + "27" + k_fullwidth_dot + "0.0.1",
        std::string(63, 'a') + k_fullwidth_dot + std::string(64, 'b') + ".com"}) {
    INFO(bad);
    CHECK_THROWS_AS(acme::normalize_domain(bad), UsageError);
  }
  CHECK(refusal_of(k_fullwidth_a + k_fullwidth_slash + "b.example.com") ==
        "invalid domain '" + k_fullwidth_a + k_fullwidth_slash +
            "b.example.com': it contains a path separator; IDNA maps it to 'a/b.example.com'");
  CHECK(refusal_of("a." + k_fullwidth_star + ".example.com") ==
        "invalid domain 'a." + k_fullwidth_star +
            ".example.com': a wildcard may only be the whole first label (*.example.com); IDNA "
            "maps it to 'a.*.example.com'");
  CHECK(refusal_of(k_fullwidth_star + ".example.com").find("write a wildcard with an ASCII '*'") !=
        std::string::npos);
  CHECK(refusal_of("example" + k_fullwidth_colon + "80.com")
            .ends_with("it contains ':' or brackets (for an IPv6 address use --ip-address); IDNA "
                       "maps it to 'example:80.com'"));
  CHECK(refusal_of("a" + k_fullwidth_low_line + "b.example.com")
            .ends_with("'_' is not allowed in a host name; IDNA maps it to 'a_b.example.com'"));
  CHECK(refusal_of("a" + k_fullwidth_backslash + "b.example.com")
            .find("it contains a path separator") != std::string::npos);
  CHECK(refusal_of(k_fullwidth_digit_1 + "27" + k_fullwidth_dot + "0.0.1")
            .find("it is an IP address") != std::string::npos);
}

TEST_CASE("full-width and ideographic dots separate labels, as UTS #46 maps them") {
  for (const std::string& dot : {k_fullwidth_dot, k_ideographic_dot, k_halfwidth_dot}) {
    INFO(dot);
    CHECK(acme::normalize_domain("www" + dot + "example" + dot + "com") == "www.example.com");
    CHECK(acme::normalize_domain("*.b\xc3\xbc"
                                 "cher" +
                                 dot + "example") == "*.xn--bcher-kva.example");
    // A trailing one is the root, like a trailing '.', and dropped once only.
    CHECK(acme::normalize_domain("example.com" + dot) == "example.com");
    CHECK_THROWS_AS(acme::normalize_domain("example.com" + dot + "."), UsageError);
  }
  CHECK(acme::normalize_domain(k_fullwidth_a + "bc.example.com") == "abc.example.com");
  // Labels split by a mapped dot are each held to 63 characters.
  CHECK(acme::normalize_domain(std::string(63, 'a') + k_fullwidth_dot + std::string(63, 'b') +
                               ".com") ==
        std::string(63, 'a') + "." + std::string(63, 'b') + ".com");
}

TEST_CASE("IP identifiers are canonical (RFC 8738)") {
  CHECK(acme::normalize_ip_address("192.0.2.10") == "192.0.2.10");
  CHECK(acme::normalize_ip_address("2001:DB8:0:0::1") == "2001:db8::1");
  CHECK_THROWS_AS(acme::normalize_ip_address("192.0.2.300"), UsageError);
}

TEST_CASE("identifiers keep the user's order without duplicates") {
  auto identifiers = acme::make_identifiers({"b.example.com", "A.example.com", "b.example.com",
                                             "xn--bcher-kva.example",
                                             "b\xc3\xbc"
                                             "cher.example"},
                                            {"192.0.2.1"});
  REQUIRE(identifiers.size() == 4);
  CHECK(identifiers[0].value == "b.example.com");
  CHECK(identifiers[1].value == "a.example.com");
  CHECK(identifiers[2].value == "xn--bcher-kva.example");
  CHECK(identifiers[3] == acme::Identifier{"ip", "192.0.2.1"});
}
