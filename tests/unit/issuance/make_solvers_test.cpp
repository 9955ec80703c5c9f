#include "issuance/solver_choice.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using Types = std::vector<std::string>;

namespace {

std::vector<acme::Identifier> dns_names(std::initializer_list<const char*> names) {
  std::vector<acme::Identifier> out;
  for (const char* name : names)
    out.push_back({"dns", name});
  return out;
}

store::RenewalParams params_for(const std::string& authenticator, Types pref_challs = {}) {
  store::RenewalParams params;
  params.authenticator = authenticator;
  params.pref_challs = std::move(pref_challs);
  params.manual_auth_hook = "auth-hook";
  params.webroot_path = {"/var/www"};
  return params;
}

Types types_of(const std::string& authenticator, Types pref_challs = {},
               std::initializer_list<const char*> names = {"example.com"}) {
  return issuance::challenge_types_for(params_for(authenticator, std::move(pref_challs)),
                                       dns_names(names));
}

} // namespace

TEST_CASE("preferred challenges: certbot's short spellings, order kept, duplicates dropped") {
  CHECK(issuance::normalize_challenge_types({"dns", "http-01", "tls-alpn", "dns-01", " http "}) ==
        Types{"dns-01", "http-01", "tls-alpn-01"});
  CHECK(issuance::normalize_challenge_types({"", "tls-alpn-01"}) == Types{"tls-alpn-01"});
  CHECK(issuance::normalize_challenge_types({}).empty());
  for (const char* hostile : {"DNS", "dns-02", "tls-sni-01", "http-01\x1b[2J", "dns;rm -rf /"})
    CHECK_THROWS_AS(issuance::normalize_challenge_types({hostile}), UsageError);
  CHECK_THROWS_WITH(issuance::normalize_challenge_types({"x\x1b[2J"}),
                    !Catch::Contains("\x1b") && Catch::Contains("--preferred-challenges"));
}

TEST_CASE("challenge types: each authenticator's default order") {
  CHECK(types_of("standalone") == Types{"http-01"});
  CHECK(types_of("webroot") == Types{"http-01"});
  CHECK(types_of("manual") == Types{"http-01", "dns-01"});
  CHECK(types_of("dns-rfc2136") == Types{"dns-01"});
}

TEST_CASE("challenge types: --preferred-challenges orders and narrows what is answered") {
  CHECK(types_of("standalone", {"tls-alpn-01"}) == Types{"tls-alpn-01"});
  CHECK(types_of("standalone", {"tls-alpn", "http"}) == Types{"tls-alpn-01", "http-01"});
  CHECK(types_of("standalone", {"dns", "http"}) == Types{"http-01"});
  CHECK(types_of("manual", {"dns"}) == Types{"dns-01"});
  CHECK(types_of("manual", {"dns-01", "http-01"}) == Types{"dns-01", "http-01"});
  CHECK(types_of("manual", {"tls-alpn-01", "http-01"}) == Types{"http-01"});
  CHECK(types_of("dns-rfc2136", {"http", "dns"}) == Types{"dns-01"});
}

TEST_CASE("challenge types: an authenticator that answers none of the preferred is refused") {
  CHECK_THROWS_WITH(types_of("webroot", {"dns-01"}),
                    Catch::Contains("webroot authenticator answers http-01") &&
                        Catch::Contains("dns-01"));
  CHECK_THROWS_AS(types_of("dns-rfc2136", {"http-01", "tls-alpn-01"}), UsageError);
  CHECK_THROWS_AS(types_of("manual", {"tls-alpn"}), UsageError);
  CHECK_THROWS_AS(types_of("standalone", {"dns"}), UsageError);
}

TEST_CASE("challenge types: unknown authenticators are refused, escaped") {
  CHECK_THROWS_WITH(types_of("nginx"), Catch::Contains("'nginx' is not supported"));
  CHECK_THROWS_WITH(types_of("evil\x1b[2J"), !Catch::Contains("\x1b"));
  CHECK_THROWS_AS(types_of(""), UsageError);
}

TEST_CASE("challenge types: a wildcard needs dns-01") {
  CHECK(types_of("manual", {}, {"example.com", "*.example.com"}) == Types{"http-01", "dns-01"});
  CHECK(types_of("dns-rfc2136", {}, {"*.example.com"}) == Types{"dns-01"});
  CHECK_THROWS_WITH(types_of("standalone", {}, {"example.com", "*.example.com"}),
                    Catch::Contains("*.example.com is a wildcard name") &&
                        Catch::Contains("standalone authenticator does not answer"));
  CHECK_THROWS_WITH(types_of("webroot", {}, {"*.example.com"}), Catch::Contains("dns-01"));
  CHECK_THROWS_WITH(types_of("manual", {"http"}, {"*.example.com"}),
                    Catch::Contains("--preferred-challenges leaves out"));
  CHECK_THROWS_AS(types_of("standalone", {"tls-alpn-01"}, {"*.example.com"}), UsageError);
}

TEST_CASE("challenge types: an IP address needs http-01 or tls-alpn-01") {
  std::vector<acme::Identifier> ip = {{"ip", "192.0.2.1"}};
  CHECK(issuance::challenge_types_for(params_for("standalone", {"tls-alpn"}), ip) ==
        Types{"tls-alpn-01"});
  CHECK(issuance::challenge_types_for(params_for("manual"), ip) == Types{"http-01", "dns-01"});
  CHECK_THROWS_WITH(issuance::challenge_types_for(params_for("dns-rfc2136"), ip),
                    Catch::Contains("192.0.2.1 is an IP address"));
  CHECK_THROWS_AS(issuance::challenge_types_for(params_for("manual", {"dns"}), ip), UsageError);
}

TEST_CASE("make_solvers: one solver per type, in the order tried") {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  testing::FakeProcessRunner runner;
  issuance::RunContext context({"/nonexistent/config", "/nonexistent/work", "/nonexistent/logs"},
                               transport, clock, {});
  auto names = dns_names({"example.com", "*.example.com"});

  auto manual =
      issuance::make_solvers(context, params_for("manual", {"dns", "http"}), names, runner);
  REQUIRE(manual.size() == 2);
  CHECK(manual[0]->type() == "dns-01");
  CHECK(manual[1]->type() == "http-01");

  auto webroot =
      issuance::make_solvers(context, params_for("webroot"), dns_names({"a.example"}), runner);
  REQUIRE(webroot.size() == 1);
  CHECK(webroot[0]->type() == "http-01");
  CHECK(runner.requests().empty()); // making solvers runs nothing

  store::RenewalParams no_hook = params_for("manual");
  no_hook.manual_auth_hook.clear();
  CHECK_THROWS_WITH(issuance::make_solvers(context, no_hook, names, runner),
                    Catch::Contains("--manual-auth-hook"));

  store::RenewalParams no_credentials = params_for("dns-rfc2136");
  CHECK_THROWS_WITH(issuance::make_solvers(context, no_credentials, names, runner),
                    Catch::Contains("--dns-rfc2136-credentials"));

  store::RenewalParams bad_port = params_for("standalone", {"tls-alpn"});
  bad_port.tls_alpn01_port = 70000;
  CHECK_THROWS_WITH(issuance::make_solvers(context, bad_port, dns_names({"a.example"}), runner),
                    Catch::Contains("--tls-alpn-01-port"));
}
