#include "acme/problem.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;

namespace {
http::Response error_response(long status, std::string body, http::Headers headers = {}) {
  return http::Response{status, std::move(headers), std::move(body), {}};
}
} // namespace

TEST_CASE("a problem document becomes a typed problem with subproblems") {
  auto problem = acme::problem_from_response(error_response(
      400, R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"policy forbids",
              "subproblems":[{"type":"urn:ietf:params:acme:error:caa","detail":"CAA forbids",
                              "identifier":{"type":"dns","value":"a.example.com"}}]})"));
  CHECK(problem.short_type() == "rejectedIdentifier");
  CHECK(problem.detail == "policy forbids");
  REQUIRE(problem.subproblems.size() == 1);
  CHECK(problem.subproblems[0].identifier == "a.example.com");
  CHECK(problem.describe() ==
        "rejectedIdentifier: policy forbids; a.example.com: caa: CAA forbids");
}

TEST_CASE("a rate limit keeps its Retry-After") {
  auto problem = acme::problem_from_response(error_response(
      429, R"({"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many"})",
      {{"retry-after", "3600"}}));
  REQUIRE(problem.retry_after);
  CHECK(problem.retry_after->count() == 3600);
  CHECK(problem.describe() == "rateLimited: too many (retry after 3600 s)");
}

TEST_CASE("an error page that is not a problem document still gives a status") {
  auto problem = acme::problem_from_response(error_response(502, "<html>Bad gateway</html>"));
  CHECK(problem.type.empty());
  CHECK(problem.describe() == "HTTP 502");
}

TEST_CASE("control characters in a server's detail are escaped") {
  auto problem = acme::problem_from_response(error_response(
      400,
      "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"bad\\u001b[2J\\nFAKE\"}"));
  CHECK(problem.describe() == "malformed: bad\\x1b[2J\\nFAKE");
}

TEST_CASE("problem fields of the wrong type are ignored, not trusted") {
  auto problem = acme::problem_from_response(
      error_response(400, R"({"type":42,"detail":["x"],"subproblems":"no"})"));
  CHECK(problem.type.empty());
  CHECK(problem.detail.empty());
  CHECK(problem.subproblems.empty());
}
