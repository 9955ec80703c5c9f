#include "dns/propagation.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_dns_client.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <set>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::NetworkError;
using certsmith::dns::Answer;
using certsmith::dns::NameServer;
using certsmith::dns::PropagationOptions;
using certsmith::dns::RecordType;
using certsmith::testing::FakeClock;
using certsmith::testing::FakeDnsClient;
using namespace std::chrono_literals;

namespace {

const NameServer k_resolver{"127.0.0.53", 53};
const NameServer k_ns1{"192.0.2.1", 53};
const NameServer k_ns2{"2001:db8::2", 53};

PropagationOptions options() {
  PropagationOptions result;
  result.resolvers = {k_resolver};
  return result;
}

Answer soa_at(const std::string& zone) {
  return FakeDnsClient::with({FakeDnsClient::record(zone, RecordType::soa, "ns1." + zone)});
}

Answer txt(const std::string& owner, std::vector<std::string> values) {
  std::vector<certsmith::dns::Record> records;
  for (auto& value : values) {
    records.push_back(FakeDnsClient::record(owner, RecordType::txt, value));
  }
  return FakeDnsClient::with(std::move(records));
}

// example.test served by ns1 (IPv4) and ns2 (IPv6).
void publish_two_name_servers(FakeDnsClient& dns) {
  dns.answer("example.test", RecordType::ns,
             FakeDnsClient::with(
                 {FakeDnsClient::record("example.test", RecordType::ns, "ns1.example.test"),
                  FakeDnsClient::record("example.test", RecordType::ns, "ns2.example.test.")}));
  dns.answer("ns1.example.test", RecordType::a,
             FakeDnsClient::with(
                 {FakeDnsClient::record("ns1.example.test", RecordType::a, k_ns1.address)}));
  dns.answer("ns2.example.test", RecordType::aaaa,
             FakeDnsClient::with(
                 {FakeDnsClient::record("ns2.example.test", RecordType::aaaa, k_ns2.address)}));
}

int queries_for(const FakeDnsClient& dns, const std::string& name, RecordType type) {
  int count = 0;
  for (const auto& query : dns.queries()) {
    count += query.name == name && query.type == type ? 1 : 0;
  }
  return count;
}

} // namespace

TEST_CASE("locate: the zone is the closest parent with an SOA record") {
  FakeDnsClient dns;
  dns.answer("example.test", RecordType::soa, soa_at("example.test"));
  const auto location =
      certsmith::dns::locate_challenge_record(dns, options(), "WWW.Example.Test.");
  CHECK(location.record_name == "_acme-challenge.www.example.test");
  CHECK(location.zone == "example.test");
  CHECK(queries_for(dns, "www.example.test", RecordType::soa) == 1);
  CHECK(queries_for(dns, "test", RecordType::soa) == 0);
}

TEST_CASE("locate: an NXDOMAIN answer names the zone in its authority SOA") {
  FakeDnsClient dns;
  dns.answer(
      "_acme-challenge.a.b.example.test", RecordType::soa,
      FakeDnsClient::with(
          {}, {FakeDnsClient::record("example.test.", RecordType::soa, "ns1.example.test")}, 3));
  const auto location = certsmith::dns::locate_challenge_record(dns, options(), "a.b.example.test");
  CHECK(location.zone == "example.test");
  CHECK(queries_for(dns, "a.b.example.test", RecordType::soa) == 0);
}

TEST_CASE("locate: a NODATA answer's authority SOA counts too, an unrelated one does not") {
  FakeDnsClient dns;
  // A hostile or confused server claims a zone that does not enclose the name.
  dns.answer("_acme-challenge.example.test", RecordType::soa,
             FakeDnsClient::with({}, {FakeDnsClient::record("evil.test", RecordType::soa, "x")}));
  dns.answer("example.test", RecordType::soa,
             FakeDnsClient::with({}, {FakeDnsClient::record("test", RecordType::soa, "x")}));
  const auto location = certsmith::dns::locate_challenge_record(dns, options(), "example.test");
  CHECK(location.zone == "test");
}

TEST_CASE("locate: no SOA anywhere is a challenge error naming the name") {
  FakeDnsClient dns;
  CHECK_THROWS_AS(certsmith::dns::locate_challenge_record(dns, options(), "example.test"),
                  ChallengeError);
  CHECK_THROWS_WITH(certsmith::dns::locate_challenge_record(dns, options(), "example.test"),
                    Contains("_acme-challenge.example.test") && Contains("no SOA"));
}

TEST_CASE("locate: a CNAME chain on _acme-challenge is followed to the zone of its target") {
  FakeDnsClient dns;
  dns.answer("_acme-challenge.example.test", RecordType::cname,
             FakeDnsClient::with({FakeDnsClient::record(
                 "_acme-challenge.example.test", RecordType::cname, "Hop.Acme-Delegate.Test.")}));
  dns.answer("hop.acme-delegate.test", RecordType::cname,
             FakeDnsClient::with({FakeDnsClient::record("hop.acme-delegate.test", RecordType::cname,
                                                        "final.acme-delegate.test")}));
  dns.answer("acme-delegate.test", RecordType::soa, soa_at("acme-delegate.test"));
  const auto location = certsmith::dns::locate_challenge_record(dns, options(), "example.test");
  CHECK(location.record_name == "final.acme-delegate.test");
  CHECK(location.zone == "acme-delegate.test");
}

TEST_CASE("locate: a CNAME loop is refused") {
  FakeDnsClient dns;
  dns.answer("_acme-challenge.example.test", RecordType::cname,
             FakeDnsClient::with({FakeDnsClient::record("_acme-challenge.example.test",
                                                        RecordType::cname, "a.example.test")}));
  dns.answer("a.example.test", RecordType::cname,
             FakeDnsClient::with({FakeDnsClient::record("a.example.test", RecordType::cname,
                                                        "_acme-challenge.example.test")}));
  dns.answer("example.test", RecordType::soa, soa_at("example.test"));
  CHECK_THROWS_WITH(certsmith::dns::locate_challenge_record(dns, options(), "example.test"),
                    Contains("CNAME loop"));
}

TEST_CASE("locate: eight CNAME links are followed, nine are refused") {
  auto chain = [](int links) {
    auto dns = std::make_unique<FakeDnsClient>();
    std::string from = "_acme-challenge.example.test";
    for (int i = 1; i <= links; ++i) {
      const std::string to = "hop" + std::to_string(i) + ".example.test";
      dns->answer(from, RecordType::cname,
                  FakeDnsClient::with({FakeDnsClient::record(from, RecordType::cname, to)}));
      from = to;
    }
    dns->answer("example.test", RecordType::soa, soa_at("example.test"));
    return dns;
  };
  CHECK(certsmith::dns::locate_challenge_record(*chain(8), options(), "example.test").record_name ==
        "hop8.example.test");
  CHECK_THROWS_WITH(certsmith::dns::locate_challenge_record(*chain(9), options(), "example.test"),
                    Contains("longer than 8 links"));
}

TEST_CASE("locate: a resolver that does not answer is skipped for the next one") {
  FakeDnsClient dns;
  const NameServer dead{"127.0.0.2", 53};
  for (const auto& name : {"_acme-challenge.example.test", "example.test"}) {
    for (const auto type : {RecordType::cname, RecordType::soa}) {
      dns.respond(dead, name, type, [](int) -> Answer { throw NetworkError("timed out"); });
    }
  }
  dns.answer("example.test", RecordType::soa, soa_at("example.test"));
  auto opts = options();
  opts.resolvers = {dead, k_resolver};
  CHECK(certsmith::dns::locate_challenge_record(dns, opts, "example.test").zone == "example.test");

  opts.resolvers = {dead};
  CHECK_THROWS_WITH(certsmith::dns::locate_challenge_record(dns, opts, "example.test"),
                    Contains("127.0.0.2:53") && Contains("timed out"));
}

TEST_CASE("wait: every authoritative server serves at once, asked without recursion") {
  FakeDnsClient dns;
  FakeClock clock;
  publish_two_name_servers(dns);
  dns.answer("_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1", "v2"}));
  certsmith::dns::wait_for_txt(dns, clock, options(), "example.test",
                               "_acme-challenge.example.test", {"v2", "v1"});
  CHECK(clock.sleeps().empty());
  int txt_queries = 0;
  for (const auto& query : dns.queries()) {
    if (query.type == RecordType::txt) {
      ++txt_queries;
      CHECK_FALSE(query.recursion_desired);
      CHECK((query.server == k_ns1 || query.server == k_ns2));
    }
  }
  CHECK(txt_queries == 2);
}

TEST_CASE("wait: a late server is polled with backoff until it serves the values") {
  FakeDnsClient dns;
  FakeClock clock;
  publish_two_name_servers(dns);
  dns.answer(k_ns1, "_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1"}));
  dns.respond(k_ns2, "_acme-challenge.example.test", RecordType::txt, [](int asked_before) {
    return asked_before < 3 ? FakeDnsClient::with({}) : txt("_acme-challenge.example.test", {"v1"});
  });
  certsmith::dns::wait_for_txt(dns, clock, options(), "example.test",
                               "_acme-challenge.example.test", {"v1"});
  CHECK(clock.sleeps() == std::vector<std::chrono::milliseconds>{250ms, 500ms, 1000ms});
  // A server that has served the values is not asked again.
  int ns1_queries = 0;
  for (const auto& query : dns.queries()) {
    ns1_queries += query.server == k_ns1 && query.type == RecordType::txt ? 1 : 0;
  }
  CHECK(ns1_queries == 1);
}

TEST_CASE("wait: a lying server fails at the deadline, named with what it serves") {
  FakeDnsClient dns;
  FakeClock clock;
  const auto start = clock.now();
  publish_two_name_servers(dns);
  dns.answer(k_ns1, "_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1"}));
  dns.answer(k_ns2, "_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"stale\x1b[2J"}));
  auto opts = options();
  opts.deadline = 30s;
  try {
    certsmith::dns::wait_for_txt(dns, clock, opts, "example.test", "_acme-challenge.example.test",
                                 {"v1"});
    FAIL("expected a ChallengeError");
  } catch (const ChallengeError& error) {
    const std::string message = error.what();
    CHECK_THAT(message,
               Contains("[2001:db8::2]:53") && Contains("stale\\x1b[2J") && Contains("after 30 s"));
    CHECK_THAT(message, !Contains("192.0.2.1"));
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(clock.now() - start == 30s);
  for (const auto& sleep : clock.sleeps()) {
    CHECK(sleep <= 5000ms);
  }
}

TEST_CASE("wait: when no server answers at all it fails at once, naming why") {
  FakeDnsClient dns;
  FakeClock clock;
  auto opts = options();
  opts.check_resolvers_only = true;
  opts.deadline = 10s;
  dns.respond(k_resolver, "_acme-challenge.example.test", RecordType::txt,
              [](int) -> Answer { throw NetworkError("no answer within 5 s"); });
  CHECK_THROWS_WITH(certsmith::dns::wait_for_txt(dns, clock, opts, "example.test",
                                                 "_acme-challenge.example.test", {"v1"}),
                    Contains("could be reached") && Contains("127.0.0.53:53") &&
                        Contains("no answer within 5 s"));
  CHECK(clock.sleeps().empty());
}

// example.test with one NS host "ns.example.test" of three addresses.
const NameServer k_addr1{"192.0.2.11", 53};
const NameServer k_addr2{"192.0.2.12", 53};
const NameServer k_addr3{"2001:db8::13", 53};
void publish_multi_address_host(FakeDnsClient& dns) {
  dns.answer("example.test", RecordType::ns,
             FakeDnsClient::with(
                 {FakeDnsClient::record("example.test", RecordType::ns, "ns.example.test")}));
  dns.answer("ns.example.test", RecordType::a,
             FakeDnsClient::with(
                 {FakeDnsClient::record("ns.example.test", RecordType::a, k_addr1.address),
                  FakeDnsClient::record("ns.example.test", RecordType::a, k_addr2.address)}));
  dns.answer("ns.example.test", RecordType::aaaa,
             FakeDnsClient::with(
                 {FakeDnsClient::record("ns.example.test", RecordType::aaaa, k_addr3.address)}));
}

TEST_CASE("wait: an NS host is done when any one of its addresses serves the values") {
  FakeDnsClient dns;
  FakeClock clock;
  publish_multi_address_host(dns);
  dns.respond(k_addr1, "_acme-challenge.example.test", RecordType::txt,
              [](int) -> Answer { throw NetworkError("unreachable network"); });
  dns.answer(k_addr2, "_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1"}));
  dns.answer(k_addr3, "_acme-challenge.example.test", RecordType::txt, FakeDnsClient::with({}));
  certsmith::dns::wait_for_txt(dns, clock, options(), "example.test",
                               "_acme-challenge.example.test", {"v1"});
  CHECK(clock.sleeps().empty());
  CHECK(queries_for(dns, "_acme-challenge.example.test", RecordType::txt) == 2); // addr3 not needed
}

TEST_CASE("wait: a host none of whose addresses answers is skipped; the deadline names only "
          "hosts that answered without the values") {
  FakeDnsClient dns;
  FakeClock clock;
  publish_two_name_servers(dns);
  dns.respond(k_ns2, "_acme-challenge.example.test", RecordType::txt,
              [](int) -> Answer { throw NetworkError("no route to host"); });
  dns.answer(k_ns1, "_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1"}));
  certsmith::dns::wait_for_txt(dns, clock, options(), "example.test",
                               "_acme-challenge.example.test", {"v1"});

  FakeDnsClient late;
  publish_two_name_servers(late);
  late.respond(k_ns2, "_acme-challenge.example.test", RecordType::txt,
               [](int) -> Answer { throw NetworkError("no route to host"); });
  late.answer(k_ns1, "_acme-challenge.example.test", RecordType::txt, FakeDnsClient::with({}));
  auto opts = options();
  opts.deadline = 5s;
  try {
    certsmith::dns::wait_for_txt(late, clock, opts, "example.test", "_acme-challenge.example.test",
                                 {"v1"});
    FAIL("expected a ChallengeError");
  } catch (const ChallengeError& error) {
    CHECK_THAT(std::string(error.what()), Contains("ns1.example.test") &&
                                              Contains("no TXT record") &&
                                              !Contains("ns2.example.test"));
  }
}

TEST_CASE("wait: at most 16 NS hosts of at most 4 addresses each are polled") {
  FakeDnsClient dns;
  FakeClock clock;
  std::vector<certsmith::dns::Record> hosts;
  for (int i = 0; i < 20; ++i) {
    const std::string host = "ns" + std::to_string(i) + ".example.test";
    hosts.push_back(FakeDnsClient::record("example.test", RecordType::ns, host));
    std::vector<certsmith::dns::Record> addresses;
    for (int a = 1; a <= 6; ++a) {
      addresses.push_back(FakeDnsClient::record(
          host, RecordType::a, "198.51." + std::to_string(i) + "." + std::to_string(a)));
    }
    dns.answer(host, RecordType::a, FakeDnsClient::with(addresses));
  }
  dns.answer("example.test", RecordType::ns, FakeDnsClient::with(hosts));
  // Nobody serves: every address of every polled host is asked once per round.
  auto opts = options();
  opts.deadline = 0s;
  CHECK_THROWS_AS(certsmith::dns::wait_for_txt(dns, clock, opts, "example.test",
                                               "_acme-challenge.example.test", {"v1"}),
                  ChallengeError);
  std::set<std::string> asked;
  for (const auto& query : dns.queries()) {
    if (query.type == RecordType::txt) {
      asked.insert(query.server.address);
    }
  }
  CHECK(asked.size() == 16 * 4);
  CHECK(queries_for(dns, "ns16.example.test", RecordType::a) == 0);
}

TEST_CASE("wait: one value of two is not enough") {
  FakeDnsClient dns;
  FakeClock clock;
  auto opts = options();
  opts.check_resolvers_only = true;
  opts.deadline = 2s;
  dns.answer("_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"wildcard"}));
  CHECK_THROWS_AS(certsmith::dns::wait_for_txt(dns, clock, opts, "example.test",
                                               "_acme-challenge.example.test",
                                               {"wildcard", "base"}),
                  ChallengeError);
}

TEST_CASE("locate: a SERVFAIL from a resolver means the next resolver, never a walk to the TLD") {
  FakeDnsClient dns;
  const NameServer broken{"127.0.0.3", 53};
  const Answer servfail = FakeDnsClient::with({}, {}, 2);
  for (const auto& name : {"_acme-challenge.example.test", "example.test", "test"}) {
    dns.answer(broken, name, RecordType::soa, servfail);
    dns.answer(broken, name, RecordType::cname, servfail);
  }
  dns.answer("example.test", RecordType::soa, soa_at("example.test"));
  dns.answer("test", RecordType::soa, soa_at("test"));
  auto opts = options();
  opts.resolvers = {broken, k_resolver};
  CHECK(certsmith::dns::locate_challenge_record(dns, opts, "example.test").zone == "example.test");

  opts.resolvers = {broken};
  CHECK_THROWS_WITH(certsmith::dns::locate_challenge_record(dns, opts, "example.test"),
                    Contains("127.0.0.3:53: SERVFAIL"));
  CHECK(queries_for(dns, "test", RecordType::soa) == 0);
}

TEST_CASE("locate: the zone server is asked first, without recursion, and only its AA answer "
          "counts") {
  const NameServer zone_server{"192.0.2.53", 5353};
  auto opts = options();
  opts.zone_server = zone_server;
  {
    FakeDnsClient dns;
    dns.answer(
        zone_server, "_acme-challenge.example.test", RecordType::soa,
        FakeDnsClient::with(
            {}, {FakeDnsClient::record("example.test", RecordType::soa, "ns1.example.test")}, 3));
    const auto location = certsmith::dns::locate_challenge_record(dns, opts, "example.test");
    CHECK(location.zone == "example.test");
    for (const auto& query : dns.queries()) {
      if (query.type == RecordType::soa) {
        CHECK(query.server == zone_server);
        CHECK_FALSE(query.recursion_desired);
      }
    }
  }
  {
    // Not authoritative (a referral, REFUSED): the resolvers decide.
    FakeDnsClient dns;
    Answer referral =
        FakeDnsClient::with({}, {FakeDnsClient::record("evil.test", RecordType::soa, "x")}, 0);
    referral.authoritative = false;
    for (const auto& name : {"_acme-challenge.example.test", "example.test", "test"}) {
      dns.answer(zone_server, name, RecordType::soa, referral);
    }
    dns.answer(k_resolver, "example.test", RecordType::soa, soa_at("example.test"));
    CHECK(certsmith::dns::locate_challenge_record(dns, opts, "example.test").zone ==
          "example.test");
  }
  {
    // No answer from it: the resolvers decide.
    FakeDnsClient dns;
    for (const auto& name : {"_acme-challenge.example.test", "example.test", "test"}) {
      dns.respond(zone_server, name, RecordType::soa,
                  [](int) -> Answer { throw NetworkError("timed out"); });
    }
    dns.answer(k_resolver, "example.test", RecordType::soa, soa_at("example.test"));
    CHECK(certsmith::dns::locate_challenge_record(dns, opts, "example.test").zone ==
          "example.test");
  }
}

TEST_CASE("wait: check_resolvers_only asks the resolvers, without recursion, and no NS walk") {
  FakeDnsClient dns;
  FakeClock clock;
  auto opts = options();
  opts.check_resolvers_only = true;
  dns.answer("_acme-challenge.example.test", RecordType::txt,
             txt("_acme-challenge.example.test", {"v1"}));
  certsmith::dns::wait_for_txt(dns, clock, opts, "example.test", "_acme-challenge.example.test",
                               {"v1"});
  REQUIRE(dns.queries().size() == 1);
  CHECK(dns.queries()[0].server == k_resolver);
  // RD=0: a recursive resolver's negative cache of the name must not hide the record.
  CHECK_FALSE(dns.queries()[0].recursion_desired);
}

TEST_CASE("wait: backoff doubles up to max_interval") {
  FakeDnsClient dns;
  FakeClock clock;
  auto opts = options();
  opts.check_resolvers_only = true;
  opts.first_interval = 1000ms;
  opts.max_interval = 3000ms;
  opts.deadline = 12s;
  CHECK_THROWS_AS(certsmith::dns::wait_for_txt(dns, clock, opts, "example.test",
                                               "_acme-challenge.example.test", {"v1"}),
                  ChallengeError);
  CHECK(clock.sleeps() ==
        std::vector<std::chrono::milliseconds>{1000ms, 2000ms, 3000ms, 3000ms, 3000ms});
}

TEST_CASE("wait: a fixed wait sleeps once and asks nobody") {
  FakeDnsClient dns;
  FakeClock clock;
  auto opts = options();
  opts.fixed_wait = 45s;
  certsmith::dns::wait_for_txt(dns, clock, opts, "example.test", "_acme-challenge.example.test",
                               {"v1"});
  CHECK(clock.sleeps() == std::vector<std::chrono::milliseconds>{45000ms});
  CHECK(dns.queries().empty());
}

TEST_CASE("wait: a zone without name server addresses is a clear error") {
  FakeDnsClient dns;
  FakeClock clock;
  CHECK_THROWS_WITH(certsmith::dns::wait_for_txt(dns, clock, options(), "example.test",
                                                 "_acme-challenge.example.test", {"v1"}),
                    Contains("authoritative servers of example.test"));
}
