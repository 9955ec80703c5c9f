#include "challenge/tls_alpn01.hpp"
#include "challenge/tls_alpn_responder.hpp"
#include "crypto/digest.hpp"
#include "raw_http.hpp"
#include "support/tls_alpn_client.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::challenge::make_tls_alpn01_solver;
using certsmith::challenge::make_tls_alpn_responder;
using certsmith::challenge::Task;
using certsmith::challenge::TlsAlpnResponder;
using certsmith::crypto::sha256;
using certsmith::testing::have_ipv6_loopback;
using certsmith::testing::tls_alpn_connect;
using certsmith::testing::TlsAlpnClientOptions;
using namespace std::chrono_literals;

namespace {

const std::string k_token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const std::string k_key_authorization = k_token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

Task task_for(const std::string& identifier,
              const std::string& key_authorization = k_key_authorization) {
  return Task{identifier, "tls-alpn-01", k_token, key_authorization};
}

TlsAlpnClientOptions validator(const std::string& server_name) {
  TlsAlpnClientOptions options;
  options.server_name = server_name;
  return options;
}

// A TCP connection that sends nothing, held open until destroyed.
struct SilentClient {
  int fd = -1;
  explicit SilentClient(std::uint16_t port) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~SilentClient() { close(fd); }
  SilentClient(const SilentClient&) = delete;
  SilentClient& operator=(const SilentClient&) = delete;
};

} // namespace

TEST_CASE("tls-alpn-01 solver presents a validation certificate per task until cleanup",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0);
  REQUIRE(responder->port() != 0);
  auto solver = make_tls_alpn01_solver(responder);
  CHECK(solver->type() == "tls-alpn-01");
  const std::vector<Task> tasks = {task_for("example.com"),
                                   task_for("www.example.com", "other.key-authorization")};
  solver->perform(tasks);

  const auto served = tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com"));
  REQUIRE(served.completed);
  CHECK(served.negotiated_protocol == "acme-tls/1");
  CHECK(served.dns_names == std::vector<std::string>{"example.com"});
  CHECK(served.acme_identifier_critical);
  CHECK(served.acme_identifier_value == std::string("\x04\x20", 2) + sha256(k_key_authorization));

  const auto www = tls_alpn_connect("127.0.0.1", responder->port(), validator("www.example.com"));
  REQUIRE(www.completed);
  CHECK(www.dns_names == std::vector<std::string>{"www.example.com"});
  CHECK(www.acme_identifier_value ==
        std::string("\x04\x20", 2) + sha256("other.key-authorization"));

  solver->cleanup(tasks);
  CHECK_FALSE(tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com")).completed);
  CHECK_FALSE(
      tls_alpn_connect("127.0.0.1", responder->port(), validator("www.example.com")).completed);
}

TEST_CASE("tls-alpn-01 responder refuses other ALPN protocols and unserved names",
          "[challenge][tls-alpn]") {
  auto responder = make_tls_alpn_responder("127.0.0.1", 0);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("example.com")});
  TlsAlpnClientOptions browser = validator("example.com");
  browser.alpn = {"h2", "http/1.1"};
  CHECK_FALSE(tls_alpn_connect("127.0.0.1", responder->port(), browser).completed);
  browser.alpn.clear();
  CHECK_FALSE(tls_alpn_connect("127.0.0.1", responder->port(), browser).completed);
  CHECK_FALSE(
      tls_alpn_connect("127.0.0.1", responder->port(), validator("unknown.example")).completed);
  CHECK_FALSE(tls_alpn_connect("127.0.0.1", responder->port(), validator("")).completed);
  CHECK(tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com")).completed);
  solver->cleanup({task_for("example.com")});
}

TEST_CASE("tls-alpn-01 solver refuses wildcards, other challenge types and bad identifiers "
          "before presenting anything",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0);
  auto solver = make_tls_alpn01_solver(responder);
  CHECK_THROWS_WITH(solver->perform({task_for("example.com"), task_for("*.example.com")}),
                    Contains("wildcard") && Contains("dns-01"));
  Task http = task_for("example.com");
  http.type = "http-01";
  CHECK_THROWS_AS(solver->perform({http}), ChallengeError);
  CHECK_THROWS_AS(solver->perform({task_for("exa\nmple.com")}), ChallengeError);
  CHECK_THROWS_AS(solver->perform({task_for("example.com", "")}), ChallengeError);
  // All or nothing: the good task before the bad one was not published.
  CHECK_FALSE(tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com")).completed);
  CHECK_THROWS_AS(make_tls_alpn01_solver(nullptr), ChallengeError);
}

TEST_CASE("tls-alpn-01 solver answers an IP identifier under its reverse-DNS name",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("127.0.0.1")});
  const auto served =
      tls_alpn_connect("127.0.0.1", responder->port(), validator("1.0.0.127.in-addr.arpa"));
  REQUIRE(served.completed);
  CHECK(served.ip_addresses == std::vector<std::string>{std::string("\x7f\0\0\x01", 4)});
  solver->cleanup({task_for("127.0.0.1")});
}

TEST_CASE("tls-alpn-01 responder: a client that never finishes does not block others, and is "
          "dropped after the timeout",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0, 500ms);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("example.com")});
  SilentClient silent(responder->port());
  SilentClient other_silent(responder->port());
  CHECK(tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com")).completed);
  // After the timeout the server has closed the silent connection: read sees EOF.
  timeval limit{3, 0};
  setsockopt(silent.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  char byte = 0;
  CHECK(read(silent.fd, &byte, 1) == 0);
  solver->cleanup({task_for("example.com")});
}

TEST_CASE("tls-alpn-01 responder stops promptly while a client is still connected",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0, 30s);
  SilentClient silent(responder->port());
  usleep(100 * 1000); // let the acceptor take the connection
  const auto started = std::chrono::steady_clock::now();
  responder.reset();
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("tls-alpn-01 responder: port already in use or bad address is a ChallengeError",
          "[challenge][tls-alpn]") {
  auto first = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0);
  CHECK_THROWS_WITH(TlsAlpnResponder("127.0.0.1", first->port()),
                    Contains("cannot listen on 127.0.0.1:") && Contains("tls-alpn-01") &&
                        Contains("in use"));
  CHECK_THROWS_AS(make_tls_alpn_responder("", first->port()), ChallengeError);
  CHECK_THROWS_WITH(TlsAlpnResponder("not-an-address", 0), Contains("invalid listen address"));
  CHECK_THROWS_AS(TlsAlpnResponder("192.0.2.1\n", 0), ChallengeError);
}

TEST_CASE("tls-alpn-01 responder on every address answers IPv4 and IPv6 loopback",
          "[challenge][tls-alpn]") {
  auto responder = make_tls_alpn_responder("", 0);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("example.com")});
  CHECK(tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com")).completed);
  if (have_ipv6_loopback()) {
    CHECK(tls_alpn_connect("::1", responder->port(), validator("example.com")).completed);
  }
  solver->cleanup({task_for("example.com")});
}
