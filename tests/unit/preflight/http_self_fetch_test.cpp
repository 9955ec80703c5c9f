#include "preflight/http_self_fetch.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
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
    throw NetworkError("cannot connect to 192.0.2.1:8080: Connection refused");
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
