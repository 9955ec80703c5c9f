#include "http/transport_error.hpp"
#include "preflight/http_self_fetch.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <map>

using namespace certsmith;
using namespace certsmith::preflight;
using certsmith::testing::ScriptedTransport;

namespace {

class MemorySite : public TokenSite {
public:
  void place(const std::string&, const std::string& token, const std::string& content) override {
    tokens[token] = content;
    ++placed;
  }
  void remove(const std::string&, const std::string& token) noexcept override {
    tokens.erase(token);
  }
  std::string where(const std::string&) const override { return "the webroot /srv/www"; }
  std::map<std::string, std::string> tokens;
  int placed = 0;
};

// The path asked for holds the token: answer with what the site holds.
ScriptedTransport::Handler serve_from(MemorySite& site, std::string suffix = "") {
  return [&site, suffix](const http::Request& request) {
    const std::string token = request.url.substr(request.url.rfind('/') + 1);
    const auto found = site.tokens.find(token);
    if (found == site.tokens.end())
      return http::Response{404, {}, "not found", {}};
    return http::Response{200, {}, found->second + suffix, {}};
  };
}

http::Response redirect(std::string location) {
  return http::Response{301, {{"location", std::move(location)}}, "", {}};
}

} // namespace

TEST_CASE("self-fetch asks each address with the name as Host and removes the token") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(serve_from(site, "\n"));
  transport.expect(serve_from(site));
  auto findings =
      check_self_fetch({"www.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, transport);
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].status == Status::pass);
  CHECK(findings[1].status == Status::pass);
  const auto& requests = transport.requests();
  CHECK(requests[0].url.starts_with("http://192.0.2.1:80/.well-known/acme-challenge/"));
  CHECK(requests[1].url.starts_with("http://[2001:db8::1]:80/.well-known/acme-challenge/"));
  CHECK(requests[0].headers == http::Headers{{"Host", "www.example.com"}});
  CHECK(site.placed == 1);
  CHECK(site.tokens.empty());
}

TEST_CASE("self-fetch names a refused connection with the port to open") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect([](const http::Request&) -> http::Response {
    throw http::TransportError(http::FailureKind::connect,
                               "cannot connect to 192.0.2.1:8080: Connection refused");
  });
  auto findings = check_self_fetch({"www.example.com", {"192.0.2.1"}, 8080}, site, transport);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].status == Status::fail);
  CHECK(findings[0].detail.find("Connection refused") != std::string::npos);
  CHECK(findings[0].fix.find("port 8080") != std::string::npos);
  CHECK(transport.requests()[0].headers == http::Headers{{"Host", "www.example.com:8080"}});
  CHECK(site.tokens.empty());
}

TEST_CASE("self-fetch: wrong content, HTTP status") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(http::Response{200, {}, "<html>default site</html>", {}});
  auto wrong = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(wrong[0].status == Status::fail);
  CHECK(wrong[0].detail.find("wrong content") != std::string::npos);
  CHECK(wrong[0].fix.find("/srv/www") != std::string::npos);

  transport.expect(http::Response{403, {}, "forbidden", {}});
  auto status = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(status[0].status == Status::fail);
  CHECK(status[0].detail.find("HTTP status 403") != std::string::npos);
}

TEST_CASE("self-fetch follows a redirect on the same origin and names a loop") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(redirect("/moved/x"));
  transport.expect(serve_from(site));
  // The moved path no longer ends in the token: serve whatever the one token is.
  auto followed = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(transport.requests()[1].url == "http://192.0.2.1:80/moved/x");
  CHECK(followed[0].status == Status::fail); // /moved/x is not the token: 404

  ScriptedTransport looping;
  looping.expect(redirect("/a"));
  looping.expect(redirect("/b"));
  looping.expect(redirect("/a"));
  auto loop = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, looping);
  CHECK(loop[0].status == Status::fail);
  CHECK(loop[0].detail.find("redirect loop") != std::string::npos);
}

TEST_CASE("self-fetch names the hop limit, not a loop, after 10 distinct redirects") {
  MemorySite site;
  ScriptedTransport transport;
  for (int hop = 1; hop <= 11; ++hop)
    transport.expect(redirect("/hop" + std::to_string(hop)));
  auto findings = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(findings[0].status == Status::fail);
  CHECK(findings[0].detail.find("redirect loop") == std::string::npos);
  CHECK(findings[0].detail.find("more than 10 redirects") != std::string::npos);
  CHECK(transport.requests().size() == 11); // 10 followed, as the CA does
}

namespace {

std::vector<Finding> fetch_failing_with(http::FailureKind kind, const std::string& message) {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect([kind, message](const http::Request&) -> http::Response {
    throw http::TransportError(kind, message);
  });
  return check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
}

} // namespace

TEST_CASE("self-fetch tells a timeout, an oversized body and a TLS error from a refusal") {
  auto timeout =
      fetch_failing_with(http::FailureKind::timeout, "timed out talking to 192.0.2.1:80");
  CHECK(timeout[0].status == Status::fail);
  CHECK(timeout[0].detail.find("timed out") != std::string::npos);
  CHECK(timeout[0].fix.find("firewall") != std::string::npos);

  auto large = fetch_failing_with(http::FailureKind::body_too_large,
                                  "response from 192.0.2.1 larger than 65536 bytes");
  CHECK(large[0].status == Status::fail);
  CHECK(large[0].detail.find("64 KiB") != std::string::npos);
  CHECK(large[0].detail.find("connection") == std::string::npos);
  CHECK(large[0].fix.find("listen") == std::string::npos);

  auto tls = fetch_failing_with(http::FailureKind::tls,
                                "TLS handshake with 192.0.2.1:443 failed: SSL certificate problem");
  CHECK(tls[0].detail.find("TLS") != std::string::npos);
  CHECK(tls[0].fix.find("listen") == std::string::npos);
}

TEST_CASE("self-fetch judges a failure by its kind, not by words in its message") {
  // A message that reads like a refusal or a timeout, from a plain NetworkError:
  // nothing says the connection failed, so neither advice nor IPv6 fallback.
  auto worded = fetch_failing_with(http::FailureKind::other,
                                   "timed out: Connection refused, larger than TLS headers");
  CHECK(worded[0].status == Status::fail);
  CHECK(worded[0].fix.find("firewall") == std::string::npos);
  CHECK(worded[0].fix.find("listen") == std::string::npos);
  CHECK(worded[0].detail.find("64 KiB") == std::string::npos);

  MemorySite site;
  ScriptedTransport transport;
  transport.expect(serve_from(site));
  transport.expect([](const http::Request&) -> http::Response {
    throw NetworkError("cannot connect to [2001:db8::1]:80: Connection refused");
  });
  auto plain =
      check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, transport);
  CHECK(plain[1].status == Status::fail);

  auto headers = fetch_failing_with(http::FailureKind::headers_too_large, "x");
  CHECK(headers[0].detail.find("oversized headers") != std::string::npos);
}

TEST_CASE("an IPv6 failure is a warning when IPv4 passes: the CA falls back") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(serve_from(site));
  transport.expect([](const http::Request&) -> http::Response {
    throw http::TransportError(http::FailureKind::connect,
                               "cannot connect to [2001:db8::1]:80: Network is unreachable");
  });
  auto findings =
      check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, transport);
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].status == Status::pass);
  CHECK(findings[1].status == Status::warn);
  CHECK(findings[1].fix.find("IPv4") != std::string::npos);

  // With IPv4 failing too, both fail.
  ScriptedTransport both;
  for (int i = 0; i < 2; ++i)
    both.expect([](const http::Request&) -> http::Response {
      throw http::TransportError(http::FailureKind::connect, "cannot connect: Connection refused");
    });
  auto failed = check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, both);
  CHECK(failed[0].status == Status::fail);
  CHECK(failed[1].status == Status::fail);
}

TEST_CASE("an IPv6 answer that fails validation stays a failure although IPv4 passes") {
  // The CA falls back to IPv4 only when the IPv6 connection fails; wrong
  // content, an error status or a redirect elsewhere over IPv6 fail validation.
  MemorySite site;
  ScriptedTransport wrong;
  wrong.expect(serve_from(site));
  wrong.expect(http::Response{200, {}, "<html>default site</html>", {}});
  auto content = check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, wrong);
  REQUIRE(content.size() == 2);
  CHECK(content[0].status == Status::pass);
  CHECK(content[1].status == Status::fail);
  CHECK(content[1].fix.find("falls back") == std::string::npos);

  ScriptedTransport missing;
  missing.expect(serve_from(site));
  missing.expect(http::Response{404, {}, "not found", {}});
  auto status =
      check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, missing);
  CHECK(status[1].status == Status::fail);

  ScriptedTransport elsewhere;
  elsewhere.expect(serve_from(site));
  elsewhere.expect(redirect("http://other.example.net/x"));
  auto redirected =
      check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, elsewhere);
  CHECK(redirected[1].status == Status::fail);

  // Too big a body is an answer, not a failed connection.
  ScriptedTransport large;
  large.expect(serve_from(site));
  large.expect([](const http::Request&) -> http::Response {
    throw http::TransportError(http::FailureKind::body_too_large,
                               "response from 2001:db8::1 larger than 65536 bytes");
  });
  auto oversized =
      check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, large);
  CHECK(oversized[1].status == Status::fail);
}

TEST_CASE("an IPv6 timeout or refusal is a warning when IPv4 passes") {
  for (auto kind : {http::FailureKind::timeout, http::FailureKind::connect}) {
    MemorySite site;
    ScriptedTransport transport;
    transport.expect(serve_from(site));
    transport.expect([kind](const http::Request&) -> http::Response {
      throw http::TransportError(kind, "no connection to [2001:db8::1]:80");
    });
    auto findings =
        check_self_fetch({"a.example.com", {"192.0.2.1", "2001:db8::1"}, 80}, site, transport);
    CHECK(findings[1].status == Status::warn);
  }
}

TEST_CASE("hostile self-fetch answers are escaped: body with escapes, CR, control bytes") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(http::Response{200, {}, "\x1b[2J\r\nFAKE\x07 line\r\nPASS ok", {}});
  auto findings = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].status == Status::fail);
  const std::string& detail = findings[0].detail;
  CHECK(detail.find('\x1b') == std::string::npos);
  CHECK(detail.find('\r') == std::string::npos);
  CHECK(detail.find('\n') == std::string::npos);
  CHECK(detail.find('\x07') == std::string::npos);
  CHECK(detail.find("\\x1b") != std::string::npos);
}

TEST_CASE("hostile Location headers: control bytes, scheme-less, never printed raw") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(redirect("http://evil.example/\x1b[31m\r\nFAKE"));
  auto control = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(control[0].status == Status::fail);
  CHECK(control[0].detail.find('\x1b') == std::string::npos);
  CHECK(control[0].detail.find('\r') == std::string::npos);

  // "evil.example/x" has no scheme: a relative path on the same origin.
  transport.expect(redirect("evil.example/x"));
  transport.expect(http::Response{404, {}, "", {}});
  auto schemeless = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(schemeless[0].status == Status::fail);
  CHECK(transport.requests().back().url.starts_with("http://192.0.2.1:80/"));
  CHECK(transport.requests().back().headers == http::Headers{{"Host", "a.example.com"}});
}

TEST_CASE(
    "a name with thousands of addresses: at most 4 per family are fetched, and doctor says so") {
  MemorySite site;
  ScriptedTransport transport;
  std::vector<std::string> addresses;
  for (int i = 0; i < 3000; ++i)
    addresses.push_back(fmt::format("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256));
  for (int i = 0; i < 3000; ++i)
    addresses.push_back(fmt::format("2001:db8::{:x}", i + 1));
  for (int i = 0; i < 8; ++i)
    transport.expect(serve_from(site));
  auto findings = check_self_fetch({"a.example.com", addresses, 80}, site, transport);
  CHECK(transport.requests().size() == 8);
  REQUIRE(findings.size() == 9);
  const auto& note = findings.back();
  CHECK(note.status == Status::warn);
  CHECK(note.detail.find("4 of 3000 IPv4") != std::string::npos);
  CHECK(note.detail.find("4 of 3000 IPv6") != std::string::npos);
}

TEST_CASE("self-fetch: a redirect elsewhere fails, to https on the same name warns") {
  MemorySite site;
  ScriptedTransport transport;
  transport.expect(redirect("http://other.example.net/x"));
  auto elsewhere = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(elsewhere[0].status == Status::fail);
  CHECK(elsewhere[0].detail.find("other.example.net") != std::string::npos);

  transport.expect(redirect("https://a.example.com/.well-known/acme-challenge/x"));
  auto https = check_self_fetch({"a.example.com", {"192.0.2.1"}, 80}, site, transport);
  CHECK(https[0].status == Status::warn);
}

TEST_CASE("random tokens are base64url and differ") {
  const std::string a = random_token();
  const std::string b = random_token();
  CHECK(a.size() == 43);
  CHECK(a != b);
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
}
