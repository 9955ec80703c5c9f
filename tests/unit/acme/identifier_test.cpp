#include "acme/identifier.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;

TEST_CASE("domains are normalized") {
  CHECK(acme::normalize_domain("WWW.Example.COM.") == "www.example.com");
  CHECK(acme::normalize_domain("*.example.com") == "*.example.com");
  CHECK(acme::normalize_domain("xn--bcher-kva.example") == "xn--bcher-kva.example");
}

TEST_CASE("hostile or malformed domains are refused") {
  for (const char* bad : {"", "localhost", "a;touch /tmp/x.example.com", "../../etc", "a/b.com",
                          "a..b.com", "-a.example.com", "a-.example.com", "*.*.example.com",
                          "a*.example.com", "ex ample.com", "a.example.com\n", "$(id).example.com",
                          "b\xc3\xbc"
                          "cher.example"}) {
    INFO(bad);
    CHECK_THROWS_AS(acme::normalize_domain(bad), UsageError);
  }
  CHECK_THROWS_AS(acme::normalize_domain(std::string(64, 'a') + ".com"), UsageError);
  CHECK_THROWS_AS(acme::normalize_domain(std::string(300, 'a')), UsageError);
}

TEST_CASE("IP identifiers are canonical (RFC 8738)") {
  CHECK(acme::normalize_ip_address("192.0.2.10") == "192.0.2.10");
  CHECK(acme::normalize_ip_address("2001:DB8:0:0::1") == "2001:db8::1");
  CHECK_THROWS_AS(acme::normalize_ip_address("192.0.2.300"), UsageError);
}

TEST_CASE("identifiers keep the user's order without duplicates") {
  auto identifiers =
      acme::make_identifiers({"b.example.com", "A.example.com", "b.example.com"}, {"192.0.2.1"});
  REQUIRE(identifiers.size() == 3);
  CHECK(identifiers[0].value == "b.example.com");
  CHECK(identifiers[1].value == "a.example.com");
  CHECK(identifiers[2] == acme::Identifier{"ip", "192.0.2.1"});
}
