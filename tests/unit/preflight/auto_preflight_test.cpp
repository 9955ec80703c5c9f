#include "preflight/auto_preflight.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_dns_client.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace certsmith;
using namespace certsmith::preflight;
using certsmith::testing::FakeClock;
using certsmith::testing::FakeDnsClient;
using certsmith::testing::ScriptedTransport;
using dns::RecordType;

namespace {

const dns::NameServer k_server{"127.0.0.1", 53};

http::Response directory_with_caa_identity(const std::string& identity) {
  return http::Response{200,
                        {{"content-type", "application/json"}},
                        R"({"newNonce":"https://ca.test/n","newAccount":"https://ca.test/a",
                            "newOrder":"https://ca.test/o","meta":{"caaIdentities":[")" +
                            identity + R"("]}})",
                        {}};
}

class MemorySite : public TokenSite {
public:
  void place(const std::string&, const std::string& token, const std::string& content) override {
    tokens[token] = content;
  }
  void remove(const std::string&, const std::string& token) noexcept override {
    tokens.erase(token);
  }
  std::string where(const std::string&) const override { return "the webroot /srv/www"; }
  std::map<std::string, std::string> tokens;
};

void resolve(FakeDnsClient& dns, const std::string& name) {
  dns.answer(name, RecordType::a,
             FakeDnsClient::with({FakeDnsClient::record(name, RecordType::a, "192.0.2.1")}));
  dns.answer(name, RecordType::aaaa, FakeDnsClient::with({}));
}

} // namespace

TEST_CASE("the automatic preflight stops with one ChallengeError line when CAA forbids the CA") {
  FakeDnsClient dns;
  resolve(dns, "a.example.com");
  dns.answer("example.com", RecordType::caa,
             FakeDnsClient::with({FakeDnsClient::record("example.com", RecordType::caa,
                                                        "0 issue \"other-ca.example\"")}));
  Resolver resolver(dns, {k_server});
  ScriptedTransport ca;
  ca.expect(directory_with_caa_identity("ca.test"));
  FakeClock clock;
  DoctorRequest request;
  request.domains = {"a.example.com"};
  request.directory_url = "https://ca.test/dir";
  try {
    run_automatic_preflight(request, resolver, ca, nullptr, clock);
    FAIL("no error");
  } catch (const ChallengeError& error) {
    const std::string message = error.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("a.example.com") != std::string::npos);
    CHECK(message.find("other-ca.example") != std::string::npos);
    CHECK(message.find("--no-preflight") != std::string::npos);
    CHECK(error.exit_code() == ExitCode::challenge);
  }
}

TEST_CASE("the automatic preflight rehearses http-01 and only warns when it fails") {
  FakeDnsClient dns;
  resolve(dns, "a.example.com");
  Resolver resolver(dns, {k_server});
  ScriptedTransport ca;
  ca.expect(directory_with_caa_identity("ca.test"));
  ScriptedTransport probe;
  probe.expect(http::Response{404, {}, "not found", {}});
  MemorySite site;
  FakeClock clock;
  DoctorRequest request;
  request.domains = {"a.example.com"};
  request.directory_url = "https://ca.test/dir";
  request.token_site = &site;
  CHECK_NOTHROW(run_automatic_preflight(request, resolver, ca, &probe, clock));
  REQUIRE(probe.requests().size() == 1);
  CHECK(probe.requests()[0].url.find("/.well-known/acme-challenge/") != std::string::npos);
  CHECK(site.tokens.empty());
}

TEST_CASE("is_first_issuance looks for the lineage's renewal conf") {
  const auto dir = std::filesystem::temp_directory_path() / "certsmith-f2-first-issuance";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "renewal");
  CHECK(is_first_issuance(dir, "example.com"));
  std::ofstream(dir / "renewal" / "example.com.conf") << "version = 2.0\n";
  CHECK_FALSE(is_first_issuance(dir, "example.com"));
  CHECK(is_first_issuance(dir / "missing", "example.com"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("doctor checks an IP identifier by fetching from the address itself, without DNS") {
  FakeDnsClient dns;
  Resolver resolver(dns, {k_server});
  ScriptedTransport ca;
  ScriptedTransport probe;
  MemorySite site;
  probe.expect([&site](const http::Request& request) {
    const std::string token = request.url.substr(request.url.rfind('/') + 1);
    return http::Response{200, {}, site.tokens[token], {}};
  });
  FakeClock clock;
  DoctorRequest request;
  request.ip_addresses = {"2001:db8::5"};
  request.token_site = &site;
  auto findings = run_doctor(request, resolver, ca, probe, clock);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].status == Status::pass);
  CHECK(dns.queries().empty());
  CHECK(ca.requests().empty());
  CHECK(probe.requests()[0].url.starts_with("http://[2001:db8::5]:80/"));
  CHECK(probe.requests()[0].headers == http::Headers{{"Host", "[2001:db8::5]"}});
}
