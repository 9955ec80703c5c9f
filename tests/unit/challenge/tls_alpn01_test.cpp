#include "challenge/tls_alpn01.hpp"
#include "challenge/tls_alpn_responder.hpp"
#include "crypto/digest.hpp"
#include "raw_http.hpp"
#include "support/tls_alpn_client.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
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

// A TCP connection to 127.0.0.1:port from source (any 127/8 address works on
// Linux, so one test can play many hosts).
int connect_from(const std::string& source, std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, source.c_str(), &local.sin_addr) == 1);
  REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// Whether the server has closed fd (EOF or reset) within wait.
bool closed_by_server(int fd, std::chrono::milliseconds wait) {
  pollfd descriptor{fd, POLLIN, 0};
  if (poll(&descriptor, 1, static_cast<int>(wait.count())) <= 0) {
    return false;
  }
  char byte = 0;
  return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

// A TCP connection that sends nothing, held open until destroyed.
struct SilentClient {
  int fd = -1;
  explicit SilentClient(std::uint16_t port, const std::string& source = "127.0.0.1")
      : fd(connect_from(source, port)) {}
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

TEST_CASE("tls-alpn-01: parallel orders for one name on a shared responder do not withdraw "
          "each other's certificate",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0);
  const auto served_value = [&responder] {
    const auto served = tls_alpn_connect("127.0.0.1", responder->port(), validator("example.com"));
    return served.completed ? served.acme_identifier_value : std::string();
  };
  const auto value_for = [](const std::string& key_authorization) {
    return std::string("\x04\x20", 2) + sha256(key_authorization);
  };

  SECTION("two workers, two solvers, two orders") {
    auto first_worker = make_tls_alpn01_solver(responder);
    auto second_worker = make_tls_alpn01_solver(responder);
    first_worker->perform({task_for("example.com", "first.key-authorization")});
    second_worker->perform({task_for("example.com", "second.key-authorization")});
    CHECK(served_value() == value_for("second.key-authorization"));
    first_worker->cleanup({task_for("example.com", "first.key-authorization")});
    CHECK(served_value() == value_for("second.key-authorization"));
    second_worker->cleanup({task_for("example.com", "second.key-authorization")});
    CHECK(served_value().empty());
  }
  SECTION("the newer order's cleanup first leaves the older one served, then nothing") {
    auto first_worker = make_tls_alpn01_solver(responder);
    auto second_worker = make_tls_alpn01_solver(responder);
    first_worker->perform({task_for("example.com", "first.key-authorization")});
    second_worker->perform({task_for("example.com", "second.key-authorization")});
    second_worker->cleanup({task_for("example.com", "second.key-authorization")});
    CHECK(served_value() == value_for("first.key-authorization"));
    first_worker->cleanup({task_for("example.com", "first.key-authorization")});
    CHECK(served_value().empty());
  }
  SECTION("one solver given the same task twice keeps it until both cleanups") {
    auto solver = make_tls_alpn01_solver(responder);
    solver->perform({task_for("example.com")});
    solver->perform({task_for("example.com")});
    solver->cleanup({task_for("example.com")});
    CHECK(served_value() == value_for(k_key_authorization));
    solver->cleanup({task_for("example.com")});
    CHECK(served_value().empty());
  }
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

TEST_CASE("tls-alpn-01 responder lets a silent client go at the ClientHello timeout, long before "
          "the handshake timeout",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0, 30s, 300ms);
  SilentClient silent(responder->port());
  const auto started = std::chrono::steady_clock::now();
  CHECK(closed_by_server(silent.fd, 5s));
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("tls-alpn-01 responder: silent clients from one address hold at most 4 connections and "
          "do not keep a validator from another address out",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0, 30s, 30s);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("example.com")});
  std::vector<std::unique_ptr<SilentClient>> silent;
  for (int i = 0; i < 10; ++i) {
    silent.push_back(std::make_unique<SilentClient>(responder->port()));
  }
  // The acceptor takes them in order: the first 4 are held, the rest closed.
  for (std::size_t i = 4; i < silent.size(); ++i) {
    INFO("silent client " << i);
    CHECK(closed_by_server(silent[i]->fd, 3s));
  }
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("silent client " << i);
    CHECK_FALSE(closed_by_server(silent[i]->fd, 0ms));
  }
  const int validator_fd = connect_from("127.0.0.2", responder->port());
  CHECK(certsmith::testing::tls_alpn_handshake(validator_fd, validator("example.com")).completed);
  close(validator_fd);
  solver->cleanup({task_for("example.com")});
}

TEST_CASE("tls-alpn-01 responder: with every slot held by silent clients, a validator still gets "
          "in and the oldest silent connection is the one dropped",
          "[challenge][tls-alpn]") {
  auto responder = std::make_shared<TlsAlpnResponder>("127.0.0.1", 0, 30s, 30s);
  auto solver = make_tls_alpn01_solver(responder);
  solver->perform({task_for("example.com")});
  // 16 addresses x 4 connections fill all 64 slots.
  std::vector<std::unique_ptr<SilentClient>> silent;
  for (int host = 1; host <= 16; ++host) {
    for (int i = 0; i < 4; ++i) {
      silent.push_back(
          std::make_unique<SilentClient>(responder->port(), "127.0.0." + std::to_string(host)));
    }
  }
  usleep(300 * 1000); // let the acceptor take them all
  for (const auto& client : silent) {
    REQUIRE_FALSE(closed_by_server(client->fd, 0ms));
  }
  const int validator_fd = connect_from("127.0.1.1", responder->port());
  CHECK(certsmith::testing::tls_alpn_handshake(validator_fd, validator("example.com")).completed);
  close(validator_fd);
  CHECK(closed_by_server(silent.front()->fd, 3s));
  CHECK_FALSE(closed_by_server(silent.back()->fd, 0ms));
  solver->cleanup({task_for("example.com")});
}
