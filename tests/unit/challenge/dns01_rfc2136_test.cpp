#include "challenge/dns01_rfc2136.hpp"
#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_dns_client.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::UsageError;
using certsmith::challenge::read_rfc2136_credentials;
using certsmith::challenge::Rfc2136Credentials;
using certsmith::challenge::Task;
using certsmith::dns::NameServer;
using certsmith::dns::RecordType;
using certsmith::dns::UpdateChange;
using certsmith::testing::FakeClock;
using certsmith::testing::FakeDnsClient;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string k_secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";

class CredentialsFile {
public:
  explicit CredentialsFile(const std::string& content, mode_t mode = 0600) {
    std::string pattern = (fs::temp_directory_path() / "certsmith-rfc2136-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    m_path = pattern;
    std::ofstream(m_path, std::ios::binary) << content;
    REQUIRE(::chmod(m_path.c_str(), mode) == 0);
  }
  ~CredentialsFile() {
    std::error_code ignored;
    fs::remove(m_path, ignored);
  }
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

std::string valid_file(const std::string& extra = "") {
  return "# certbot-dns-rfc2136 credentials\n"
         "dns_rfc2136_server = 192.0.2.53\n"
         "dns_rfc2136_port = 5353\n"
         "dns_rfc2136_name = certbot-key.\n"
         "dns_rfc2136_secret = " +
         k_secret + "\n" + extra;
}

std::string read_error(const std::string& content, mode_t mode = 0600) {
  const CredentialsFile file(content, mode);
  try {
    read_rfc2136_credentials(file.path());
  } catch (const UsageError& error) {
    const std::string message = error.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find(file.path().string()) != std::string::npos);
    return message;
  }
  FAIL("expected a UsageError");
  return "";
}

std::string value_of(const std::string& key_authorization) {
  return certsmith::crypto::base64url_encode(certsmith::crypto::sha256(key_authorization));
}

Task dns_task(const std::string& identifier, const std::string& key_authorization) {
  return Task{identifier, "dns-01", "token", key_authorization};
}

Rfc2136Credentials credentials() {
  Rfc2136Credentials result;
  result.server = NameServer{"192.0.2.53", 5353};
  result.key = {"certbot-key", k_secret, "hmac-sha256"};
  return result;
}

// A solver over a fake DNS in which example.test and other.test are zones and
// propagation is checked on the one resolver (the fake serves what was written).
struct Fixture {
  FakeClock clock;
  FakeDnsClient* dns = nullptr;
  std::unique_ptr<certsmith::challenge::Solver> solver;

  explicit Fixture(std::optional<std::chrono::seconds> fixed_wait = std::nullopt) {
    auto client = std::make_unique<FakeDnsClient>();
    dns = client.get();
    for (const std::string zone : {"example.test", "other.test", "acme-delegate.test"}) {
      dns->answer(
          zone, RecordType::soa,
          FakeDnsClient::with({FakeDnsClient::record(zone, RecordType::soa, "ns." + zone)}));
    }
    certsmith::dns::PropagationOptions propagation;
    propagation.resolvers = {NameServer{"127.0.0.1", 53}};
    propagation.check_resolvers_only = true;
    propagation.deadline = 20s;
    propagation.fixed_wait = fixed_wait;
    solver = certsmith::challenge::make_rfc2136_solver(credentials(), std::move(client), clock,
                                                       propagation);
  }
};

} // namespace

TEST_CASE("rfc2136 credentials: certbot's file is read, spaces, quotes and comments allowed") {
  const CredentialsFile file("# TSIG key\n"
                             "  dns_rfc2136_server=2001:db8::53   # the primary\n"
                             "dns_rfc2136_name = \"certbot-key.\"\r\n"
                             "\n"
                             "dns_rfc2136_secret = '" +
                             k_secret +
                             "'\n"
                             "dns_rfc2136_algorithm = hmac-Sha256\n"
                             "dns_rfc2136_sign_query = false\n");
  const auto read = read_rfc2136_credentials(file.path());
  CHECK(read.server == NameServer{"2001:db8::53", 53});
  CHECK(read.key.name == "certbot-key.");
  CHECK(read.key.secret_base64 == k_secret);
  CHECK(read.key.algorithm == "hmac-sha256");
}

TEST_CASE("rfc2136 credentials: port, and certbot's default algorithm HMAC-MD5") {
  const CredentialsFile file(valid_file());
  const auto read = read_rfc2136_credentials(file.path());
  CHECK(read.server == NameServer{"192.0.2.53", 5353});
  CHECK(read.key.algorithm == "hmac-md5");
  for (const std::string algorithm :
       {"HMAC-MD5", "HMAC-SHA1", "HMAC-SHA256", "hmac-sha256", "HMAC-SHA512"}) {
    const CredentialsFile with(valid_file("dns_rfc2136_algorithm = " + algorithm + "\n"));
    std::string lower = algorithm;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    CHECK(read_rfc2136_credentials(with.path()).key.algorithm == lower);
  }
}

TEST_CASE("rfc2136 credentials: certbot's HMAC-SHA224 and HMAC-SHA384 are refused (ldns cannot "
          "sign with them)") {
  for (const std::string algorithm : {"HMAC-SHA224", "hmac-sha384", "HMAC-SHA384"}) {
    const std::string message =
        read_error(valid_file("dns_rfc2136_algorithm = " + algorithm + "\n"));
    CHECK_THAT(message, Contains("dns_rfc2136_algorithm " + algorithm + " is not supported") &&
                            Contains("use HMAC-SHA256 or HMAC-SHA512"));
  }
}

TEST_CASE("rfc2136 credentials: a file readable by group or others is refused") {
  CHECK_THAT(read_error(valid_file(), 0644), Contains("mode 0644") && Contains("chmod 600"));
  CHECK_THAT(read_error(valid_file(), 0640), Contains("mode 0640"));
  CHECK_THAT(read_error(valid_file(), 0602), Contains("mode 0602"));
  const CredentialsFile owner_only(valid_file(), 0400);
  CHECK_NOTHROW(read_rfc2136_credentials(owner_only.path()));
}

TEST_CASE("rfc2136 credentials: a missing file, a directory, a missing key") {
  CHECK_THROWS_AS(read_rfc2136_credentials("/nonexistent/rfc2136.ini"), UsageError);
  CHECK_THROWS_WITH(read_rfc2136_credentials(fs::temp_directory_path()),
                    Contains("not a regular file"));
  CHECK_THAT(read_error("dns_rfc2136_server = 192.0.2.1\ndns_rfc2136_name = k\n"),
             Contains("dns_rfc2136_secret is missing"));
  CHECK_THAT(read_error("dns_rfc2136_name = k\ndns_rfc2136_secret = " + k_secret + "\n"),
             Contains("dns_rfc2136_server is missing"));
  CHECK_THAT(read_error("dns_rfc2136_server = 192.0.2.1\ndns_rfc2136_secret = " + k_secret + "\n"),
             Contains("dns_rfc2136_name is missing"));
  CHECK_THAT(read_error(valid_file("dns_rfc2136_name = other\n")),
             Contains("dns_rfc2136_name is set twice"));
}

TEST_CASE("rfc2136 credentials: hostile values are refused without echoing the secret") {
  SECTION("a secret that is not base64") {
    for (const std::string secret : {"not base64!", "c2Vj-_", "====", "QUJDR", "YWJ", "YR=="}) {
      const std::string message = read_error(
          "dns_rfc2136_server = 192.0.2.1\ndns_rfc2136_name = k\ndns_rfc2136_secret = " + secret +
          "\n");
      CHECK_THAT(message, Contains("dns_rfc2136_secret is not a base64 secret"));
      CHECK(message.find(secret) == std::string::npos);
    }
  }
  SECTION("a host name, an address with a port, control characters as the server") {
    const auto with_server = [](const std::string& server) {
      return "dns_rfc2136_server = " + server +
             "\ndns_rfc2136_name = k\ndns_rfc2136_secret = " + k_secret + "\n";
    };
    CHECK_THAT(read_error(with_server("ns1.example.test")), Contains("host name is not allowed"));
    CHECK_THAT(read_error(with_server("127.0.0.1:53")), Contains("not an IPv4 or IPv6"));
    CHECK_THAT(read_error(with_server("1.2.3.4\x1b[31m")), Contains("\\x1b[31m"));
  }
  SECTION("ports out of range or not numbers") {
    for (const std::string port : {"0", "65536", "53abc", "-1", "99999999999999999999"}) {
      CHECK_THAT(read_error("dns_rfc2136_server = 192.0.2.1\ndns_rfc2136_port = " + port +
                            "\ndns_rfc2136_name = k\ndns_rfc2136_secret = " + k_secret + "\n"),
                 Contains("is not a port number"));
    }
  }
  SECTION("a key name with spaces or control bytes, an unknown algorithm") {
    const auto with = [](const std::string& name, const std::string& algorithm) {
      return "dns_rfc2136_server = 192.0.2.1\ndns_rfc2136_name = " + name +
             "\ndns_rfc2136_secret = " + k_secret + "\ndns_rfc2136_algorithm = " + algorithm + "\n";
    };
    CHECK_THAT(read_error(with("my key", "HMAC-SHA256")), Contains("not a TSIG key name"));
    CHECK_THAT(read_error(with("k\x07", "HMAC-SHA256")), Contains("\\x07"));
    CHECK_THAT(read_error(with("k", "HMAC-SHA3")),
               Contains("unknown dns_rfc2136_algorithm HMAC-SHA3"));
    CHECK_THAT(read_error(with("k", "hmac-sha256.")), Contains("unknown dns_rfc2136_algorithm"));
  }
  SECTION("malformed lines, NUL bytes, unbalanced quotes, huge files") {
    CHECK_THAT(read_error(valid_file("just words\n")), Contains("line 6 is not `key = value`"));
    CHECK_THAT(read_error(valid_file(" = value\n")), Contains("line 6 has no key"));
    CHECK_THAT(read_error(valid_file(std::string("x = a\0b\n", 8))), Contains("NUL"));
    CHECK_THAT(read_error(valid_file("dns_rfc2136_algorithm = \"HMAC-MD5\n")),
               Contains("badly quoted"));
    CHECK_THAT(read_error(valid_file("# " + std::string(70000, 'x') + "\n")),
               Contains("larger than"));
  }
}

TEST_CASE("rfc2136 solver: a wildcard and its base share one name with two TXT values") {
  Fixture fixture;
  const std::vector<Task> tasks{dns_task("example.test", "base.thumb"),
                                dns_task("example.test", "wild.thumb")};
  fixture.solver->perform(tasks);

  REQUIRE(fixture.dns->updates().size() == 1);
  const auto& update = fixture.dns->updates()[0];
  CHECK(update.zone == "example.test");
  CHECK(update.server == NameServer{"192.0.2.53", 5353});
  CHECK(update.key.name == "certbot-key");
  REQUIRE(update.changes.size() == 2);
  for (const auto& change : update.changes) {
    CHECK(change.kind == UpdateChange::Kind::add);
    CHECK(change.owner == "_acme-challenge.example.test");
  }
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test") ==
        std::vector<std::string>{value_of("base.thumb"), value_of("wild.thumb")});

  fixture.solver->cleanup(tasks);
  REQUIRE(fixture.dns->updates().size() == 2);
  CHECK(fixture.dns->updates()[1].changes.size() == 2);
  CHECK(fixture.dns->updates()[1].changes[0].kind == UpdateChange::Kind::remove);
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test").empty());
}

TEST_CASE("rfc2136 solver: one update per zone, then every record is checked") {
  Fixture fixture;
  const std::vector<Task> tasks{dns_task("example.test", "a.t"),
                                dns_task("www.example.test", "b.t"), dns_task("other.test", "c.t")};
  fixture.solver->perform(tasks);
  REQUIRE(fixture.dns->updates().size() == 2);
  CHECK(fixture.dns->updates()[0].zone == "example.test");
  CHECK(fixture.dns->updates()[0].changes.size() == 2);
  CHECK(fixture.dns->updates()[1].zone == "other.test");
  int txt_checks = 0;
  for (const auto& query : fixture.dns->queries()) {
    txt_checks += query.type == RecordType::txt ? 1 : 0;
  }
  CHECK(txt_checks == 3);
  CHECK(fixture.clock.sleeps().empty());
}

TEST_CASE("rfc2136 solver: a CNAME-delegated _acme-challenge is written in the target zone") {
  Fixture fixture;
  fixture.dns->answer(
      "_acme-challenge.example.test", RecordType::cname,
      FakeDnsClient::with({FakeDnsClient::record("_acme-challenge.example.test", RecordType::cname,
                                                 "example.acme-delegate.test")}));
  const std::vector<Task> tasks{dns_task("example.test", "a.t")};
  fixture.solver->perform(tasks);
  REQUIRE(fixture.dns->updates().size() == 1);
  CHECK(fixture.dns->updates()[0].zone == "acme-delegate.test");
  CHECK(fixture.dns->updates()[0].changes[0].owner == "example.acme-delegate.test");
  fixture.solver->cleanup(tasks);
  CHECK(fixture.dns->txt_at("example.acme-delegate.test").empty());
}

TEST_CASE("rfc2136 solver: a refused update fails perform; cleanup removes only what was added") {
  Fixture fixture;
  fixture.dns->refuse_updates("other.test", "the TSIG key was not accepted (BADSIG)");
  const std::vector<Task> tasks{dns_task("example.test", "a.t"), dns_task("other.test", "c.t")};
  CHECK_THROWS_WITH(fixture.solver->perform(tasks),
                    Contains("the TSIG key was not accepted (BADSIG)"));
  REQUIRE(fixture.dns->updates().size() == 2);

  fixture.solver->cleanup(tasks);
  REQUIRE(fixture.dns->updates().size() == 3);
  const auto& removal = fixture.dns->updates()[2];
  CHECK(removal.zone == "example.test");
  REQUIRE(removal.changes.size() == 1);
  CHECK(removal.changes[0].kind == UpdateChange::Kind::remove);
  CHECK(removal.changes[0].txt == value_of("a.t"));
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test").empty());

  // Nothing is left to remove: a second cleanup sends nothing.
  fixture.solver->cleanup(tasks);
  CHECK(fixture.dns->updates().size() == 3);
}

TEST_CASE("rfc2136 solver: an update whose answer was lost is removed too") {
  Fixture fixture;
  fixture.dns->lose_update_answers("example.test");
  const std::vector<Task> tasks{dns_task("example.test", "a.t")};
  CHECK_THROWS_WITH(fixture.solver->perform(tasks),
                    Contains("update of zone example.test at 192.0.2.53:5353 failed"));
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test").size() == 1);
  CHECK_NOTHROW(fixture.solver->cleanup(tasks)); // its own answer is lost too: logged, not thrown
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test").empty());
}

TEST_CASE("rfc2136 solver: an update answered NOERROR without a valid TSIG is removed too") {
  // The server applied it; only its answer's signature did not verify.
  Fixture fixture;
  fixture.dns->refuse_updates("example.test", "the DNS server 192.0.2.53:5353 refused the update "
                                              "for example.test: its answer carries no valid "
                                              "TSIG signature for our key");
  const std::vector<Task> tasks{dns_task("example.test", "a.t")};
  CHECK_THROWS_WITH(fixture.solver->perform(tasks), Contains("no valid TSIG signature"));
  fixture.solver->cleanup(tasks);
  REQUIRE(fixture.dns->updates().size() == 2);
  CHECK(fixture.dns->updates()[1].changes.at(0).kind == UpdateChange::Kind::remove);
  CHECK(fixture.dns->updates()[1].changes.at(0).txt == value_of("a.t"));
}

TEST_CASE("rfc2136 solver: a SERVFAIL answer is removed at cleanup; explicit refusals are not") {
  for (const std::string why :
       {"the server answered SERVFAIL (rcode 2)", "a record name is outside the zone (NOTZONE)",
        "the server's policy does not allow this key to update the zone (REFUSED)",
        "the server is not authoritative for the zone or did not accept the key (NOTAUTH)",
        "the TSIG key was not accepted (BADSIG: wrong secret or algorithm)",
        "the server does not know this TSIG key and algorithm (BADKEY)",
        "check this machine's clock (BADTIME)"}) {
    Fixture fixture;
    fixture.dns->refuse_updates("example.test", "the DNS server 192.0.2.53:5353 refused the "
                                                "update for example.test: " +
                                                    why);
    const std::vector<Task> tasks{dns_task("example.test", "a.t")};
    CHECK_THROWS_WITH(fixture.solver->perform(tasks), Contains(why));
    fixture.solver->cleanup(tasks);
    const bool applied_maybe = why.find("SERVFAIL") != std::string::npos;
    INFO(why);
    CHECK(fixture.dns->updates().size() == (applied_maybe ? 2U : 1U));
  }
}

TEST_CASE("rfc2136 solver: cleanup never throws and touches only its tasks' values") {
  Fixture fixture;
  const std::vector<Task> first{dns_task("example.test", "a.t")};
  const std::vector<Task> second{dns_task("other.test", "c.t")};
  fixture.solver->perform(first);
  fixture.solver->perform(second);
  fixture.solver->cleanup(second);
  CHECK(fixture.dns->txt_at("_acme-challenge.example.test").size() == 1);
  CHECK(fixture.dns->txt_at("_acme-challenge.other.test").empty());

  fixture.dns->refuse_updates("example.test", "REFUSED");
  CHECK_NOTHROW(fixture.solver->cleanup(first));
}

TEST_CASE("rfc2136 solver: values that never propagate fail after the deadline") {
  Fixture fixture;
  fixture.dns->answer("_acme-challenge.example.test", RecordType::txt,
                      FakeDnsClient::with({FakeDnsClient::record("_acme-challenge.example.test",
                                                                 RecordType::txt, "old")}));
  const auto start = fixture.clock.now();
  CHECK_THROWS_WITH(fixture.solver->perform({dns_task("example.test", "a.t")}),
                    Contains("127.0.0.1:53") && Contains("after 20 s"));
  CHECK(fixture.clock.now() - start == 20s);
}

TEST_CASE("rfc2136 solver: a fixed propagation wait sleeps once for all records") {
  Fixture fixture(30s);
  fixture.solver->perform({dns_task("example.test", "a.t"), dns_task("other.test", "c.t")});
  CHECK(fixture.clock.sleeps() == std::vector<std::chrono::milliseconds>{30000ms});
  for (const auto& query : fixture.dns->queries()) {
    CHECK(query.type != RecordType::txt);
  }
}

TEST_CASE("rfc2136 solver: a task of another type is refused before any update") {
  Fixture fixture;
  CHECK_THROWS_AS(fixture.solver->perform({Task{"example.test", "http-01", "tok", "tok.t"}}),
                  ChallengeError);
  CHECK(fixture.dns->updates().empty());
  CHECK(fixture.solver->type() == "dns-01");
}
