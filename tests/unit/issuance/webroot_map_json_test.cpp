#include "issuance/webroot_map_json.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using issuance::DomainOrWebroot;

TEST_CASE("webroot map (--webroot-map): names split on commas, roots made absolute", "[webroot_map]") {
  auto entries = issuance::parse_webroot_map_json(
      R"({"Example.com, www.example.com": "/var/www/ex/", "other.example": "/srv/o"})");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0] == std::pair<std::string, std::string>{"example.com", "/var/www/ex"});
  CHECK(entries[1].first == "www.example.com");
  CHECK(entries[2] == std::pair<std::string, std::string>{"other.example", "/srv/o"});
}

TEST_CASE("webroot map (--webroot-map): hostile JSON is one usage error", "[webroot_map]") {
  for (const char* json :
       {"", "[]", "\"x\"", "{", R"({"a.example": 1})", R"({"a.example": ""})",
        R"({"a.example": {"b": "c"}})", R"({"a.example": "/x\n/y"})", R"({"": "/x"})",
        R"({"a.example,,b.example": "/x"})", R"({"../etc": "/x"})"}) {
    INFO(json);
    CHECK_THROWS_AS(issuance::parse_webroot_map_json(json), UsageError);
  }
  CHECK_THROWS_AS(issuance::parse_webroot_map_json(std::string(70000, '[')), UsageError);
}

TEST_CASE("webroot map (--webroot-map) wins over -w/-d, the other -d keep their -w", "[webroot_map]") {
  std::vector<DomainOrWebroot> flags = {
      {false, "early.example"}, {true, "/w1"}, {false, "a.example"}, {false, "b.example"}};
  auto merged = issuance::merge_webroot_map(flags, {{"b.example", "/map"}});
  auto map = issuance::build_webroot_map(merged);
  CHECK(map.at("b.example") == "/map");
  CHECK(map.at("a.example") == "/w1");
  CHECK(map.at("early.example") == "/w1");
  CHECK(issuance::build_webroot_map(issuance::merge_webroot_map({}, {{"c.example", "/c"}}))
            .at("c.example") == "/c");
  CHECK_THROWS_AS(issuance::merge_webroot_map({{false, "lost.example"}}, {{"c.example", "/c"}}),
                  UsageError);
}
