#include "acme/problem.hpp"
#include "util/clock.hpp"

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

TEST_CASE("a rate limit becomes one line saying until when") {
  auto before = std::chrono::system_clock::now();
  acme::AcmeError error(acme::problem_from_response(
      error_response(429,
                     R"({"type":"urn:ietf:params:acme:error:rateLimited",
          "detail":"too many certificates (50) already issued for \"example.com\""})",
                     {{"retry-after", "172800"}})));
  std::string message = error.what();
  CHECK(message.starts_with("rate limited by the CA until "));
  CHECK(message.ends_with(": too many certificates (50) already issued for \"example.com\""));
  // Two days, not the one-day cap of polling.
  REQUIRE(error.problem().retry_at);
  CHECK(*error.problem().retry_at - before >= std::chrono::hours(47));
  CHECK(message.find(util::rfc3339_utc(*error.problem().retry_at)) != std::string::npos);
  CHECK(error.exit_code() == ExitCode::acme);
}

TEST_CASE("a rate limit without Retry-After or detail still says what it is") {
  acme::AcmeError error(acme::problem_from_response(
      error_response(429, R"({"type":"urn:ietf:params:acme:error:rateLimited"})")));
  CHECK(std::string(error.what()) ==
        "rate limited by the CA (the CA did not say until when): no detail given");
}

TEST_CASE("a hostile rate-limit detail stays on one line") {
  acme::AcmeError error(acme::problem_from_response(error_response(
      429, R"({"type":"urn:ietf:params:acme:error:rateLimited","detail":"a\nb\u001b[2J"})",
      {{"retry-after", "not a date"}})));
  std::string message = error.what();
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find('\x1b') == std::string::npos);
  CHECK_FALSE(error.problem().retry_at);
}

TEST_CASE("other problems keep their usual message") {
  acme::AcmeError error(acme::problem_from_response(
      error_response(403, R"({"type":"urn:ietf:params:acme:error:unauthorized","detail":"no"})")));
  CHECK(std::string(error.what()) == "the CA refused: unauthorized: no");
}
