#include "issuance/webroot_map.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using issuance::DomainOrWebroot;

TEST_CASE("each domain is served from the webroot named before it") {
  auto map = issuance::build_webroot_map({{true, "/srv/a"},
                                          {false, "a.example.com"},
                                          {false, "WWW.A.example.com"},
                                          {true, "/srv/b/"},
                                          {false, "b.example.com"}});
  CHECK(map.at("a.example.com") == "/srv/a");
  CHECK(map.at("www.a.example.com") == "/srv/a");
  CHECK(map.at("b.example.com") == "/srv/b");
}

TEST_CASE("domains before any -w use the last webroot, as certbot does") {
  auto map = issuance::build_webroot_map(
      {{false, "a.example.com"}, {true, "/srv/a"}, {true, "/srv/last"}});
  CHECK(map.at("a.example.com") == "/srv/last");
}

TEST_CASE("webroot without a path or with a hostile domain is refused") {
  CHECK_THROWS_AS(issuance::build_webroot_map({{false, "a.example.com"}}), UsageError);
  CHECK_THROWS_AS(issuance::build_webroot_map({{true, "/srv"}, {false, "../../etc"}}), UsageError);
  CHECK_THROWS_AS(issuance::build_webroot_map({{true, ""}}), UsageError);
}

TEST_CASE("relative webroots become absolute and normal") {
  auto map = issuance::build_webroot_map({{true, "srv/./www"}, {false, "a.example.com"}});
  CHECK(map.at("a.example.com").front() == '/');
  CHECK(map.at("a.example.com").ends_with("/srv/www"));
}

TEST_CASE("webroot_path lists each document root once, in first-use order") {
  CHECK(issuance::webroot_paths_of({{"a.example.com", "/srv/b"},
                                    {"b.example.com", "/srv/a"},
                                    {"c.example.com", "/srv/b"}}) ==
        std::vector<std::string>{"/srv/b", "/srv/a"});
}
