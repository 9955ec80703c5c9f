#include "challenge/http01_responder.hpp"
#include "raw_http.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::challenge::Http01Responder;
using certsmith::testing::have_ipv6_loopback;
using certsmith::testing::raw_request;

namespace {

const std::string k_token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const std::string k_key_authorization = k_token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

int status_of(std::uint16_t port, const std::string& request_line,
              const std::string& address = "127.0.0.1") {
  const auto reply = raw_request(address, port, request_line);
  return reply ? reply->status : -1;
}

} // namespace

TEST_CASE("responder on port 0 answers a known token with its key authorization", "[challenge]") {
  Http01Responder responder("127.0.0.1", 0);
  REQUIRE(responder.port() != 0);
  responder.add(k_token, k_key_authorization);
  const auto reply = raw_request("127.0.0.1", responder.port(),
                                 "GET /.well-known/acme-challenge/" + k_token + " HTTP/1.1");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == k_key_authorization);
  CHECK_THAT(reply->head, Contains("Content-Type: text/plain"));

  const auto head = raw_request("127.0.0.1", responder.port(),
                                "HEAD /.well-known/acme-challenge/" + k_token + " HTTP/1.1");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
}

TEST_CASE("responder answers 404 for anything but an exact known token", "[challenge]") {
  Http01Responder responder("127.0.0.1", 0);
  responder.add(k_token, k_key_authorization);
  responder.add("x", "x.thumbprint");
  const auto port = responder.port();
  const std::string prefix = "GET /.well-known/acme-challenge/";
  CHECK(status_of(port, prefix + "unknownToken HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + " HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + "../x HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + "%2e%2e/x HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + "../acme-challenge/x HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + k_token + "/ HTTP/1.1") == 404);
  CHECK(status_of(port, prefix + k_token + "x HTTP/1.1") == 404);
  CHECK(status_of(port, "GET //.well-known/acme-challenge/" + k_token + " HTTP/1.1") == 404);
  CHECK(status_of(port, "GET /" + k_token + " HTTP/1.1") == 404);
  CHECK(status_of(port, "GET / HTTP/1.1") == 404);
  CHECK(status_of(port, "GET /.well-known/acme-challenge/x HTTP/1.1") == 200);
}

TEST_CASE("responder answers 405 to methods other than GET and HEAD", "[challenge]") {
  Http01Responder responder("127.0.0.1", 0);
  responder.add(k_token, k_key_authorization);
  const auto reply = raw_request("127.0.0.1", responder.port(),
                                 "POST /.well-known/acme-challenge/" + k_token + " HTTP/1.1");
  REQUIRE(reply);
  CHECK(reply->status == 405);
  CHECK_THAT(reply->head, Contains("Allow: GET, HEAD"));
  CHECK(status_of(responder.port(),
                  "DELETE /.well-known/acme-challenge/" + k_token + " HTTP/1.1") == 405);
}

TEST_CASE("responder stops answering a removed token", "[challenge]") {
  Http01Responder responder("127.0.0.1", 0);
  const std::string request = "GET /.well-known/acme-challenge/" + k_token + " HTTP/1.1";
  responder.add(k_token, k_key_authorization);
  CHECK(status_of(responder.port(), request) == 200);
  responder.remove(k_token);
  CHECK(status_of(responder.port(), request) == 404);
  responder.remove(k_token); // twice is harmless
}

TEST_CASE("responder serves while tokens are added and removed concurrently", "[challenge]") {
  Http01Responder responder("127.0.0.1", 0);
  responder.add(k_token, k_key_authorization);
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !done; ++i) {
        const std::string token = "t" + std::to_string(w) + "_" + std::to_string(i % 50);
        responder.add(token, token + ".thumb");
        responder.remove(token);
      }
    });
  }
  int good = 0;
  for (int i = 0; i < 50; ++i) {
    const auto reply = raw_request("127.0.0.1", responder.port(),
                                   "GET /.well-known/acme-challenge/" + k_token + " HTTP/1.1");
    if (reply && reply->status == 200 && reply->body == k_key_authorization) {
      ++good;
    }
  }
  done = true;
  for (auto& writer : writers) {
    writer.join();
  }
  CHECK(good == 50);
}

TEST_CASE("responder on every address answers over IPv4 and IPv6", "[challenge]") {
  Http01Responder responder("", 0);
  responder.add(k_token, k_key_authorization);
  const std::string request = "GET /.well-known/acme-challenge/" + k_token + " HTTP/1.1";
  CHECK(status_of(responder.port(), request, "127.0.0.1") == 200);
  if (have_ipv6_loopback()) {
    CHECK(status_of(responder.port(), request, "::1") == 200);
  } else {
    WARN("no IPv6 loopback on this machine: skipping the ::1 check");
  }
}

TEST_CASE("responder on one address listens only there", "[challenge]") {
  if (!have_ipv6_loopback()) {
    WARN("no IPv6 loopback on this machine: skipping");
    return;
  }
  Http01Responder v6("::1", 0);
  v6.add(k_token, k_key_authorization);
  const std::string request = "GET /.well-known/acme-challenge/" + k_token + " HTTP/1.1";
  CHECK(status_of(v6.port(), request, "::1") == 200);
  CHECK(status_of(v6.port(), request, "127.0.0.1") == -1);
  Http01Responder bracketed("[::1]", 0);
  CHECK(bracketed.port() != 0);
}

TEST_CASE("responder refuses an address that is not an IP literal", "[challenge]") {
  CHECK_THROWS_AS(Http01Responder("localhost", 0), ChallengeError);
  CHECK_THROWS_AS(Http01Responder("127.0.0.1:80", 0), ChallengeError);
  CHECK_THROWS_WITH(Http01Responder("bad\x1b[2Jaddress", 0), !Contains("\x1b"));
}

TEST_CASE("responder reports a port in use with a clear reason", "[challenge]") {
  Http01Responder first("", 0);
  const auto port = first.port();
  const std::string expected =
      "cannot listen on [::]:" + std::to_string(port) + " for http-01: Address already in use";
  CHECK_THROWS_MATCHES(Http01Responder("", port), ChallengeError,
                       Catch::Matchers::Predicate<ChallengeError>(
                           [&](const ChallengeError& error) {
                             return std::string(error.what()).starts_with(expected) &&
                                    std::string(error.what()).find("another web server") !=
                                        std::string::npos;
                           },
                           "names the address and the reason"));

  // Someone else's plain listener on a specific address.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const auto taken = ntohs(address.sin_port);
  CHECK_THROWS_WITH(Http01Responder("127.0.0.1", taken),
                    Contains("cannot listen on 127.0.0.1:" + std::to_string(taken)) &&
                        Contains("Address already in use"));
  ::close(fd);
}
