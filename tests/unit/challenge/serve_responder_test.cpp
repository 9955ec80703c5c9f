#include "challenge/http01_responder.hpp"
#include "raw_http.hpp"

#include <atomic>
#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using certsmith::challenge::Http01Responder;
using certsmith::testing::raw_request;

namespace {

int status_of(std::uint16_t port, const std::string& request_line) {
  const auto reply = raw_request("127.0.0.1", port, request_line);
  return reply ? reply->status : -1;
}

} // namespace

TEST_CASE("responder asks the fallback for tokens it was not given, base64url only",
          "[challenge][serve]") {
  std::atomic<int> asked{0};
  Http01Responder::Fallback fallback;
  fallback.lookup = [&asked](std::string_view token) -> std::optional<std::string> {
    ++asked;
    if (token == "fromdir")
      return std::string("fromdir.ka");
    return std::nullopt;
  };
  Http01Responder responder("127.0.0.1", 0, std::move(fallback));
  responder.add("added", "added.ka");
  const auto port = responder.port();
  const auto reply =
      raw_request("127.0.0.1", port, "GET /.well-known/acme-challenge/fromdir HTTP/1.1");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "fromdir.ka");
  CHECK(raw_request("127.0.0.1", port, "GET /.well-known/acme-challenge/added HTTP/1.1")->body ==
        "added.ka");
  const int before = asked;
  CHECK(status_of(port, "GET /.well-known/acme-challenge/..%2ffromdir HTTP/1.1") == 404);
  CHECK(status_of(port, "GET /.well-known/acme-challenge/.hidden HTTP/1.1") == 404);
  CHECK(status_of(port, "GET /.well-known/acme-challenge/ HTTP/1.1") == 404);
  CHECK(asked == before); // none of those reached the token directory
  CHECK(status_of(port, "GET /.well-known/acme-challenge/unknown HTTP/1.1") == 404);
  CHECK(status_of(port, "GET /elsewhere HTTP/1.1") == 404); // no redirect unless asked
}

TEST_CASE("responder with redirect_https sends other paths to https, challenges stay",
          "[challenge][serve]") {
  Http01Responder::Fallback fallback;
  fallback.redirect_https = true;
  Http01Responder responder("127.0.0.1", 0, std::move(fallback));
  const auto port = responder.port();
  const auto reply = raw_request("127.0.0.1", port, "GET /page%0d%0aX-Evil:%201?q=a%20b HTTP/1.1");
  REQUIRE(reply);
  CHECK(reply->status == 301);
  CHECK_THAT(reply->head,
             Contains("Location: https://example.test/page%0D%0AX-Evil%3A%201?q=a%20b"));
  CHECK_THAT(reply->head, !Contains("X-Evil:"));
  CHECK(status_of(port, "GET /.well-known/acme-challenge/unknown HTTP/1.1") == 404);
}
