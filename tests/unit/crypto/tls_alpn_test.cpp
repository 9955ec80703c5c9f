#include "crypto/digest.hpp"
#include "crypto/tls_alpn.hpp"
#include "support/tls_alpn_client.hpp"
#include "util/error.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <sys/socket.h>
#include <unistd.h>

using certsmith::CryptoError;
using certsmith::crypto::sha256;
using certsmith::crypto::tls_alpn_server_name;
using certsmith::crypto::TlsAlpnCertificate;
using certsmith::crypto::TlsAlpnHandshake;
using certsmith::crypto::TlsAlpnServer;
using certsmith::testing::tls_alpn_handshake;
using certsmith::testing::TlsAlpnClientOptions;
using certsmith::testing::TlsAlpnClientResult;
using namespace std::chrono_literals;

namespace {

const std::string k_key_authorization =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

// RFC 8737 §3: extnValue = DER OCTET STRING (tag 4, length 32) of the digest.
std::string expected_acme_identifier(const std::string& key_authorization) {
  return std::string("\x04\x20", 2) + sha256(key_authorization);
}

struct Outcome {
  TlsAlpnHandshake server;
  TlsAlpnClientResult client;
};

// One handshake over a socketpair: the server side in a thread, the client here.
Outcome handshake(TlsAlpnServer& server, const TlsAlpnClientOptions& options,
                  std::chrono::milliseconds timeout = 5s) {
  int sockets[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  auto served = std::async(std::launch::async, [&server, fd = sockets[0], timeout] {
    TlsAlpnHandshake result = server.serve(fd, timeout);
    close(fd);
    return result;
  });
  Outcome outcome;
  outcome.client = tls_alpn_handshake(sockets[1], options);
  close(sockets[1]);
  outcome.server = served.get();
  return outcome;
}

TlsAlpnClientOptions client_for(std::string server_name,
                                std::vector<std::string> alpn = {"acme-tls/1"}) {
  TlsAlpnClientOptions options;
  options.server_name = std::move(server_name);
  options.alpn = std::move(alpn);
  return options;
}

} // namespace

TEST_CASE("tls-alpn-01 server name: DNS names lower-cased, addresses as reverse-DNS names",
          "[crypto][tls-alpn]") {
  CHECK(tls_alpn_server_name("Example.COM") == "example.com");
  CHECK(tls_alpn_server_name("192.0.2.1") == "1.2.0.192.in-addr.arpa");
  CHECK(tls_alpn_server_name("2001:db8::1") ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("tls-alpn-01 refuses identifiers that are not a plain name or address",
          "[crypto][tls-alpn]") {
  for (const std::string& hostile :
       {std::string(), std::string("*.example.com"), std::string("exa mple.com"),
        std::string("example.com\n"), std::string("a\0b.com", 7), std::string(254, 'a'),
        std::string(".example.com"), std::string("example..com"), std::string("example.com."),
        std::string("ex/ample.com"), std::string("192.0.2.1/24"), std::string("fe80::1%eth0")}) {
    INFO(hostile);
    CHECK_THROWS_AS(TlsAlpnCertificate::create(hostile, k_key_authorization), CryptoError);
  }
}

TEST_CASE("validation certificate: one dNSName, critical acmeIdentifier with SHA-256 of the key "
          "authorization, self-signed P-256, negotiated acme-tls/1",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  const auto certificate = TlsAlpnCertificate::create("Example.com", k_key_authorization);
  CHECK(certificate.server_name() == "example.com");
  CHECK(certificate.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
  server.add(certificate);
  const Outcome outcome = handshake(server, client_for("example.com"));
  REQUIRE(outcome.client.completed);
  CHECK(outcome.server.completed);
  CHECK(outcome.server.server_name == "example.com");
  CHECK(outcome.client.negotiated_protocol == "acme-tls/1");
  CHECK(outcome.client.subject_alt_name_entries == 1);
  CHECK(outcome.client.dns_names == std::vector<std::string>{"example.com"});
  CHECK(outcome.client.has_acme_identifier);
  CHECK(outcome.client.acme_identifier_critical);
  CHECK(outcome.client.acme_identifier_value == expected_acme_identifier(k_key_authorization));
  CHECK(outcome.client.self_signed);
  CHECK(outcome.client.key_curve == "prime256v1");
}

TEST_CASE("validation certificate for an IP address: iPAddress SAN, served under its reverse "
          "name (RFC 8738 §6)",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  server.add(TlsAlpnCertificate::create("192.0.2.1", k_key_authorization));
  server.add(TlsAlpnCertificate::create("2001:db8::1", k_key_authorization));

  const Outcome v4 = handshake(server, client_for("1.2.0.192.in-addr.arpa"));
  REQUIRE(v4.client.completed);
  CHECK(v4.client.dns_names.empty());
  CHECK(v4.client.ip_addresses == std::vector<std::string>{std::string("\xc0\x00\x02\x01", 4)});
  CHECK(v4.client.acme_identifier_value == expected_acme_identifier(k_key_authorization));

  const Outcome v6 = handshake(
      server,
      client_for("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"));
  REQUIRE(v6.client.completed);
  REQUIRE(v6.client.ip_addresses.size() == 1);
  CHECK(v6.client.ip_addresses[0] == std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16));
}

TEST_CASE("each certificate is fresh: another key and serial for the same name",
          "[crypto][tls-alpn]") {
  const auto first = TlsAlpnCertificate::create("example.com", k_key_authorization);
  const auto second = TlsAlpnCertificate::create("example.com", k_key_authorization);
  CHECK(first.certificate_pem() != second.certificate_pem());
  CHECK_FALSE(first == second);
}

TEST_CASE("server refuses a client that does not offer acme-tls/1", "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  server.add(TlsAlpnCertificate::create("example.com", k_key_authorization));
  for (const auto& alpn :
       {std::vector<std::string>{"h2", "http/1.1"}, std::vector<std::string>{},
        std::vector<std::string>{"acme-tls/2"}, std::vector<std::string>{"acme-tls/1x"}}) {
    const Outcome outcome = handshake(server, client_for("example.com", alpn));
    CHECK_FALSE(outcome.client.completed);
    CHECK_FALSE(outcome.server.completed);
    CHECK(outcome.server.failure == "client did not offer ALPN acme-tls/1");
  }
  // acme-tls/1 among others is selected.
  const Outcome mixed = handshake(server, client_for("example.com", {"h2", "acme-tls/1"}));
  CHECK(mixed.client.completed);
  CHECK(mixed.client.negotiated_protocol == "acme-tls/1");
}

TEST_CASE("server refuses an unknown, missing or hostile server name; names match without case",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  server.add(TlsAlpnCertificate::create("example.com", k_key_authorization));
  CHECK(handshake(server, client_for("EXAMPLE.com")).client.completed);
  for (const std::string& name : {std::string("other.example.com"), std::string(),
                                  std::string("example.com.evil"), std::string("\x1b[31m")}) {
    const Outcome outcome = handshake(server, client_for(name));
    CHECK_FALSE(outcome.client.completed);
    CHECK_FALSE(outcome.server.completed);
    CHECK(outcome.server.server_name.find('\x1b') == std::string::npos);
  }
}

TEST_CASE("server stops presenting a removed certificate, but keeps one that replaced it",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  const auto first = TlsAlpnCertificate::create("example.com", k_key_authorization);
  server.add(first);
  server.remove(first);
  CHECK_FALSE(handshake(server, client_for("example.com")).client.completed);

  const auto replacement = TlsAlpnCertificate::create("example.com", "other.key-authorization");
  server.add(first);
  server.add(replacement);
  server.remove(first); // the older order's cleanup must not withdraw the newer one
  const Outcome outcome = handshake(server, client_for("example.com"));
  REQUIRE(outcome.client.completed);
  CHECK(outcome.client.acme_identifier_value ==
        expected_acme_identifier("other.key-authorization"));
}

TEST_CASE("two orders validating one name: the newest is served, each cleanup withdraws only its "
          "own and nothing withdrawn comes back",
          "[crypto][tls-alpn]") {
  const auto older = TlsAlpnCertificate::create("example.com", "older.key-authorization");
  const auto newer = TlsAlpnCertificate::create("example.com", "newer.key-authorization");
  const auto served_value = [](TlsAlpnServer& server) {
    const Outcome outcome = handshake(server, client_for("example.com"));
    return outcome.client.completed ? outcome.client.acme_identifier_value : std::string();
  };

  SECTION("the older order finishes first: the newer one stays served") {
    TlsAlpnServer server;
    server.add(older);
    server.add(newer);
    CHECK(served_value(server) == expected_acme_identifier("newer.key-authorization"));
    server.remove(older);
    CHECK(served_value(server) == expected_acme_identifier("newer.key-authorization"));
    server.remove(newer);
    CHECK(served_value(server).empty());
  }
  SECTION("the newer order finishes first: the older one, still validating, is served again") {
    TlsAlpnServer server;
    server.add(older);
    server.add(newer);
    server.remove(newer);
    CHECK(served_value(server) == expected_acme_identifier("older.key-authorization"));
    server.remove(older);
    CHECK(served_value(server).empty());
  }
  SECTION("the same certificate added twice needs two removals; unknown removals change nothing") {
    TlsAlpnServer server;
    server.add(older);
    server.add(older);
    server.remove(newer);
    server.remove(older);
    CHECK(served_value(server) == expected_acme_identifier("older.key-authorization"));
    server.remove(older);
    server.remove(older);
    CHECK(served_value(server).empty());
  }
}

TEST_CASE("server gives up on a client that never speaks, within its timeout",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  int sockets[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  const auto started = std::chrono::steady_clock::now();
  const TlsAlpnHandshake result = server.serve(sockets[0], 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  close(sockets[0]);
  close(sockets[1]);
  CHECK_FALSE(result.completed);
  CHECK(result.failure == "handshake timed out");
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("server lets a silent client go at the ClientHello limit; a real client gets the whole "
          "handshake limit and is reported as having sent its ClientHello",
          "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  server.add(TlsAlpnCertificate::create("example.com", k_key_authorization));
  int sockets[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  std::atomic<bool> silent_sent_hello{false};
  const auto started = std::chrono::steady_clock::now();
  const TlsAlpnHandshake silent = server.serve(sockets[0], {200ms, 30s}, &silent_sent_hello);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  close(sockets[0]);
  close(sockets[1]);
  CHECK_FALSE(silent.completed);
  CHECK(silent.failure == "no ClientHello in time");
  CHECK_FALSE(silent_sent_hello);
  CHECK(elapsed < 3s);

  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  std::atomic<bool> client_sent_hello{false};
  auto served = std::async(std::launch::async, [&server, &client_sent_hello, fd = sockets[0]] {
    return server.serve(fd, {2s, 5s}, &client_sent_hello);
  });
  const TlsAlpnClientResult client = tls_alpn_handshake(sockets[1], client_for("example.com"));
  const TlsAlpnHandshake result = served.get();
  close(sockets[0]);
  close(sockets[1]);
  CHECK(client.completed);
  CHECK(result.completed);
  CHECK(client_sent_hello);
}

TEST_CASE("server survives garbage and a peer that hangs up mid-handshake", "[crypto][tls-alpn]") {
  TlsAlpnServer server;
  server.add(TlsAlpnCertificate::create("example.com", k_key_authorization));
  for (const std::string& garbage :
       {std::string("GET / HTTP/1.1\r\n\r\n"), std::string("\x16\x03\x01\xff\xff", 5),
        std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10)}) {
    int sockets[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
    REQUIRE(write(sockets[1], garbage.data(), garbage.size()) ==
            static_cast<ssize_t>(garbage.size()));
    close(sockets[1]); // hang up: the server's alert write hits a closed peer (no SIGPIPE death)
    const TlsAlpnHandshake result = server.serve(sockets[0], 2s);
    close(sockets[0]);
    CHECK_FALSE(result.completed);
    CHECK_FALSE(result.failure.empty());
  }
}
