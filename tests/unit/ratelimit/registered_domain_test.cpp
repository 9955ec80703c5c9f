#include "ratelimit/registered_domain.hpp"

#include <catch2/catch.hpp>

using certsmith::ratelimit::registered_domain;

TEST_CASE("the registered domain follows the public suffix list") {
  CHECK(registered_domain("www.example.com") == "example.com");
  CHECK(registered_domain("a.b.example.co.uk") == "example.co.uk");
  CHECK(registered_domain("Shop.Example.COM.") == "example.com");
  CHECK(registered_domain("*.example.org") == "example.org");
  // A private-section suffix: each user's site is its own registered domain.
  CHECK(registered_domain("a.alice.github.io") == "alice.github.io");
}

TEST_CASE("suffixes, IP addresses and odd input are their own registered domain") {
  CHECK(registered_domain("co.uk") == "co.uk");
  CHECK(registered_domain("192.0.2.7") == "192.0.2.7");
  CHECK(registered_domain("2001:db8::1") == "2001:db8::1");
  CHECK(registered_domain("") == "");
  CHECK(registered_domain("xn--bcher-kva.example") == "xn--bcher-kva.example");
}
