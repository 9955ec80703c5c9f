#include "issuance/webroot_map_json.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using issuance::DomainOrWebroot;

TEST_CASE("webroot map (--webroot-map): names split on commas, roots made absolute",
          "[webroot_map]") {
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

TEST_CASE("webroot map (--webroot-map) wins over -w/-d, the other -d keep their -w",
          "[webroot_map]") {
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

TEST_CASE("webroot map (--webroot-map): a name mapped twice keeps its last root, as certbot",
          "[webroot_map]") {
  // certbot: dict.update per key, so the later key's root wins; json.loads keeps a repeated key's
  // last value too.
  auto merged = issuance::merge_webroot_map(
      {}, issuance::parse_webroot_map_json(
              R"({"a.example,b.example": "/first", "b.example": "/second"})"));
  auto map = issuance::build_webroot_map(merged);
  CHECK(map.at("a.example") == "/first");
  CHECK(map.at("b.example") == "/second");
  CHECK(issuance::webroot_paths_of(map) == std::vector<std::string>{"/first", "/second"});
  auto repeated = issuance::build_webroot_map(issuance::merge_webroot_map(
      {}, issuance::parse_webroot_map_json(R"({"c.example": "/one", "c.example": "/two"})")));
  CHECK(repeated.at("c.example") == "/two");
}

TEST_CASE("webroot map (--webroot-map) on a command line: its names join -d once each",
          "[webroot_map]") {
  std::vector<DomainOrWebroot> order = {{true, "/w"}, {false, "A.example"}};
  std::vector<std::string> domains = {"A.example"};
  issuance::apply_webroot_map_json(R"({"a.example,b.example": "/m", "b.example": "/n"})", order,
                                   domains);
  CHECK(domains == std::vector<std::string>{"A.example", "b.example"});
  auto map = issuance::build_webroot_map(order);
  CHECK(map.at("a.example") == "/m");
  CHECK(map.at("b.example") == "/n");
  CHECK_THROWS_AS(issuance::apply_webroot_map_json("{", order, domains), UsageError);
}
