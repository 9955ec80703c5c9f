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
