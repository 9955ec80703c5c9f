#include "acme/url.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;

TEST_CASE("a relative reference resolves against the base URL as RFC 3986 says") {
  const std::string base = "https://ca.test/cert/1";
  CHECK(acme::resolve_url_reference("https://ca.test/cert/1/1", base) ==
        "https://ca.test/cert/1/1");
  CHECK(acme::resolve_url_reference("/cert/1/1", base) == "https://ca.test/cert/1/1");
  CHECK(acme::resolve_url_reference("1/1", base) == "https://ca.test/cert/1/1");
  CHECK(acme::resolve_url_reference("2", base) == "https://ca.test/cert/2");
  CHECK(acme::resolve_url_reference("./2", base) == "https://ca.test/cert/2");
  CHECK(acme::resolve_url_reference("../alt/2", base) == "https://ca.test/alt/2");
  CHECK(acme::resolve_url_reference("../../../../x", base) == "https://ca.test/x");
  CHECK(acme::resolve_url_reference("?alt=1", base) == "https://ca.test/cert/1?alt=1");
  CHECK(acme::resolve_url_reference("", base + "?q") == "https://ca.test/cert/1?q");
  CHECK(acme::resolve_url_reference("//other.test/x", base) == "https://other.test/x");
  CHECK(acme::resolve_url_reference("x", "https://ca.test") == "https://ca.test/x");
  CHECK(acme::resolve_url_reference("https://ca.test/a/./b/../c", base) == "https://ca.test/a/c");
}

TEST_CASE("RFC 3986 section 5.4 examples resolve as the RFC lists them") {
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> examples[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {";x", "http://a/b/c/;x"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
  };
  for (const auto& [reference, expected] : examples) {
    INFO(reference);
    CHECK(acme::resolve_url_reference(reference, base) == expected);
  }
}

TEST_CASE("an origin is scheme, host and port spelled one way") {
  CHECK(acme::origin_of("https://ca.test/x") == "https://ca.test:443");
  CHECK(acme::origin_of("HTTPS://CA.Test:443/x?y#z") == "https://ca.test:443");
  CHECK(acme::origin_of("https://ca.test:/x") == "https://ca.test:443");
  CHECK(acme::origin_of("https://ca.test:0443") == "https://ca.test:443");
  CHECK(acme::origin_of("http://ca.test") == "http://ca.test:80");
  CHECK(acme::origin_of("https://ca.test:14000/dir") == "https://ca.test:14000");
  CHECK(acme::origin_of("https://[2001:DB8::1]/x") == "https://[2001:db8::1]:443");
  CHECK(acme::origin_of("https://[2001:db8::1]:8443") == "https://[2001:db8::1]:8443");
  for (const char* none :
       {"", "/x", "ca.test/x", "//ca.test/x", "https:/x", "https:///x", "https://:443/x",
        "https://ca.test@evil.test/x", "https://user:pw@ca.test/x", "https://ca.test:65536/",
        "https://ca.test:44a/", "https://ca.test:-1/", "https://ca.test:123456/",
        "file:///etc/passwd", "gopher://ca.test/x"}) {
    INFO(none);
    CHECK(acme::origin_of(none).empty());
  }
}
