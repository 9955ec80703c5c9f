#include "acme/json_body.hpp"
#include "acme/problem.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;

TEST_CASE("JSON from the CA is parsed") {
  CHECK(acme::parse_json_body(R"({"a":[1,2]})", "x")["a"][1] == 2);
}

TEST_CASE("deeply nested JSON is refused before it can exhaust the stack") {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  CHECK_THROWS_AS(acme::parse_json_body(deep, "an order"), acme::ProtocolError);
  std::string deep_objects;
  for (int i = 0; i < 100; ++i)
    deep_objects += "{\"a\":";
  deep_objects += "1" + std::string(100, '}');
  CHECK_THROWS_WITH(acme::parse_json_body(deep_objects, "an order"),
                    Catch::Contains("nested deeper"));
}

TEST_CASE("nesting just below the limit is accepted") {
  std::string ok(acme::k_max_json_depth, '[');
  ok += std::string(acme::k_max_json_depth, ']');
  CHECK_NOTHROW(acme::parse_json_body(ok, "x"));
}

TEST_CASE("huge and malformed bodies are refused with a clear message") {
  std::string huge = "\"" + std::string(acme::k_max_json_bytes, 'a') + "\"";
  CHECK_THROWS_WITH(acme::parse_json_body(huge, "an order"), Catch::Contains("larger than"));
  CHECK_THROWS_WITH(acme::parse_json_body("{\"a\":", "an order"),
                    "an order from the CA is not valid JSON");
  CHECK_THROWS_AS(acme::parse_json_body("", "an order"), acme::ProtocolError);
}
