#include "preflight/dns_checks.hpp"
#include "support/fake_dns_client.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace certsmith::preflight;
using certsmith::testing::FakeDnsClient;
using dns::RecordType;

namespace {

const dns::NameServer k_server{"127.0.0.1", 53};

dns::Answer caa(const std::string& owner, std::vector<std::string> values) {
  std::vector<dns::Record> records;
  for (auto& value : values)
    records.push_back(FakeDnsClient::record(owner, RecordType::caa, value));
  return FakeDnsClient::with(records);
}

dns::Answer nodata() {
  return FakeDnsClient::with({});
}

std::vector<CaaProperty> props(std::vector<std::string> data) {
  std::vector<CaaProperty> result;
  for (const auto& text : data)
    result.push_back(*parse_caa(text));
  return result;
}

} // namespace

TEST_CASE("parse_caa reads flags, tag and an unquoted or quoted value") {
  auto plain = parse_caa("0 issue letsencrypt.org");
  REQUIRE(plain);
  CHECK(plain->flags == 0);
  CHECK(plain->tag == "issue");
  CHECK(plain->value == "letsencrypt.org");
  auto quoted = parse_caa("128 ISSUEWILD \"ca.example; account=1\"");
  REQUIRE(quoted);
  CHECK(quoted->flags == 128);
  CHECK(quoted->tag == "issuewild");
  CHECK(quoted->value == "ca.example; account=1");
  CHECK_FALSE(parse_caa("x issue a"));
  CHECK_FALSE(parse_caa("300 issue a"));
  CHECK_FALSE(parse_caa(""));
}

TEST_CASE("decide_caa follows RFC 8659 section 4") {
  const std::vector<std::string> ids{"pebble.test"};
  CHECK(decide_caa(props({"0 issue pebble.test"}), ids, false).verdict == CaaVerdict::permitted);
  CHECK(decide_caa(props({"0 issue PEBBLE.test; validationmethods=http-01"}), ids, false).verdict ==
        CaaVerdict::permitted);
  CHECK(decide_caa(props({"0 issue other-ca.example"}), ids, false).verdict ==
        CaaVerdict::forbidden);
  // Only iodef: nothing restricts issuance.
  CHECK(decide_caa(props({"0 iodef mailto:a@b.example"}), ids, false).verdict ==
        CaaVerdict::permitted);
  // issue ";" lets nobody issue, known identities or not.
  CHECK(decide_caa(props({"0 issue ;"}), {}, false).verdict == CaaVerdict::forbidden);
  // A critical unknown tag forbids; a non-critical one is ignored.
  CHECK(decide_caa(props({"128 future pebble.test", "0 issue pebble.test"}), ids, false).verdict ==
        CaaVerdict::forbidden);
  CHECK(decide_caa(props({"0 future x", "0 issue pebble.test"}), ids, false).verdict ==
        CaaVerdict::permitted);
  // Wildcards: issuewild wins over issue when present.
  CHECK(decide_caa(props({"0 issue other-ca.example", "0 issuewild pebble.test"}), ids, true)
            .verdict == CaaVerdict::permitted);
  CHECK(decide_caa(props({"0 issue pebble.test", "0 issuewild other-ca.example"}), ids, true)
            .verdict == CaaVerdict::forbidden);
  CHECK(decide_caa(props({"0 issue pebble.test"}), ids, true).verdict == CaaVerdict::permitted);
  // issuewild does not restrict a non-wildcard name.
  CHECK(decide_caa(props({"0 issuewild other-ca.example"}), ids, false).verdict ==
        CaaVerdict::permitted);
  // No caaIdentities in the directory: cannot check.
  CHECK(decide_caa(props({"0 issue letsencrypt.org"}), {}, false).verdict ==
        CaaVerdict::cannot_check);
}

TEST_CASE("check_caa climbs to the closest name with CAA records") {
  FakeDnsClient dns;
  dns.answer("www.shop.example.com", RecordType::caa, nodata());
  dns.answer("shop.example.com", RecordType::caa, nodata());
  dns.answer("example.com", RecordType::caa, caa("example.com", {"0 issue other-ca.example"}));
  Resolver resolver(dns, {k_server});
  Finding finding =
      check_caa(resolver, "www.shop.example.com", std::vector<std::string>{"pebble.test"});
  CHECK(finding.status == Status::fail);
  CHECK(finding.blocker);
  CHECK(finding.detail.find("at example.com") != std::string::npos);
  CHECK(finding.fix.find("CAA forbids this CA") != std::string::npos);
  for (const auto& query : dns.queries())
    CHECK(query.name != "com"); // example.com had records: the climb stopped there
}

TEST_CASE("check_caa climbs up to and including the TLD (RFC 8659 section 3)") {
  FakeDnsClient dns;
  dns.answer("shop.example.com", RecordType::caa, nodata());
  dns.answer("example.com", RecordType::caa, nodata());
  dns.answer("com", RecordType::caa, caa("com", {"0 issue other-ca.example"}));
  Resolver resolver(dns, {k_server});
  Finding finding =
      check_caa(resolver, "shop.example.com", std::vector<std::string>{"pebble.test"});
  CHECK(finding.status == Status::fail);
  CHECK(finding.detail.find("at com:") != std::string::npos);
  for (const auto& query : dns.queries())
    CHECK_FALSE(query.name.empty()); // the root is never asked
}

TEST_CASE("a SERVFAIL from one resolver sends the question to the next") {
  const dns::NameServer broken{"127.0.0.2", 53};
  FakeDnsClient dns;
  dns.answer(broken, "a.example.com", RecordType::a, FakeDnsClient::with({}, {}, 2));
  dns.answer(
      k_server, "a.example.com", RecordType::a,
      FakeDnsClient::with({FakeDnsClient::record("a.example.com", RecordType::a, "192.0.2.7")}));
  Resolver resolver(dns, {broken, k_server});
  Lookup lookup = resolver.lookup("a.example.com", RecordType::a);
  CHECK(lookup.answered);
  CHECK(lookup.rcode == 0);
  CHECK(lookup.values == std::vector<std::string>{"192.0.2.7"});

  // Every resolver says SERVFAIL: that is the answer.
  FakeDnsClient failing;
  failing.answer("b.example.com", RecordType::a, FakeDnsClient::with({}, {}, 2));
  Resolver both(failing, {broken, k_server});
  Lookup failed = both.lookup("b.example.com", RecordType::a);
  CHECK(failed.answered);
  CHECK(failed.rcode == 2);
  CHECK(failing.queries().size() == 2);
}

TEST_CASE("check_caa: no records anywhere permits, a failed lookup warns") {
  FakeDnsClient dns;
  dns.answer("a.example.com", RecordType::caa, nodata());
  dns.answer("example.com", RecordType::caa, nodata());
  Resolver resolver(dns, {k_server});
  CHECK(check_caa(resolver, "a.example.com", std::vector<std::string>{}).status == Status::pass);
  dns.answer("example.com", RecordType::caa, FakeDnsClient::with({}, {}, 2));
  Finding failed = check_caa(resolver, "*.a.example.com", std::vector<std::string>{});
  CHECK(failed.status == Status::warn);
  CHECK(failed.detail.find("SERVFAIL") != std::string::npos);
  CHECK_FALSE(failed.blocker);
}

TEST_CASE("check_caa with CAA records and an unreadable directory warns") {
  FakeDnsClient dns;
  dns.answer("example.com", RecordType::caa, caa("example.com", {"0 issue other-ca.example"}));
  Resolver resolver(dns, {k_server});
  Finding finding = check_caa(resolver, "example.com", std::nullopt);
  CHECK(finding.status == Status::warn);
}

TEST_CASE("check_addresses lists A and AAAA, and names NXDOMAIN") {
  FakeDnsClient dns;
  dns.answer(
      "www.example.com", RecordType::a,
      FakeDnsClient::with({FakeDnsClient::record("www.example.com", RecordType::a, "192.0.2.1")}));
  dns.answer("www.example.com", RecordType::aaaa,
             FakeDnsClient::with(
                 {FakeDnsClient::record("www.example.com", RecordType::aaaa, "2001:db8::1")}));
  Resolver resolver(dns, {k_server});
  std::vector<std::string> addresses;
  Finding found = check_addresses(resolver, "www.example.com", addresses);
  CHECK(found.status == Status::pass);
  CHECK(addresses == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});

  Finding missing = check_addresses(resolver, "nothing.example.com", addresses);
  CHECK(missing.status == Status::fail);
  CHECK(missing.detail.find("NXDOMAIN") != std::string::npos);
  CHECK(addresses.empty());
  // The resolvers were asked with recursion.
  CHECK(dns.queries().front().recursion_desired);
}

namespace {

class SilentDnsClient : public dns::DnsClient {
public:
  dns::Answer query(const dns::NameServer&, const std::string&, RecordType, bool) override {
    throw NetworkError("timed out");
  }
  void update(const dns::NameServer&, const std::string&, const std::vector<dns::UpdateChange>&,
              const dns::TsigKey&) override {}
};

} // namespace

TEST_CASE("check_addresses warns, does not fail, when no resolver answers") {
  SilentDnsClient dns;
  Resolver resolver(dns, {k_server, {"127.0.0.2", 53}});
  std::vector<std::string> addresses;
  Finding finding = check_addresses(resolver, "www.example.com", addresses);
  CHECK(finding.status == Status::warn);
  CHECK(finding.detail.find("timed out") != std::string::npos);
}

TEST_CASE("check_email: MX, else an address record; NXDOMAIN, null MX and bad syntax fail") {
  FakeDnsClient dns;
  dns.answer("mail.example", RecordType::mx,
             FakeDnsClient::with(
                 {FakeDnsClient::record("mail.example", RecordType::mx, "mx.mail.example")}));
  dns.answer("host.example", RecordType::mx, nodata());
  dns.answer(
      "host.example", RecordType::a,
      FakeDnsClient::with({FakeDnsClient::record("host.example", RecordType::a, "192.0.2.7")}));
  dns.answer("nomail.example", RecordType::mx,
             FakeDnsClient::with({FakeDnsClient::record("nomail.example", RecordType::mx, "")}));
  Resolver resolver(dns, {k_server});
  CHECK(check_email(resolver, "ops@mail.example").status == Status::pass);
  CHECK(check_email(resolver, "ops@host.example").status == Status::pass);
  Finding gone = check_email(resolver, "ops@gone.example");
  CHECK(gone.status == Status::fail);
  CHECK(gone.detail.find("does not exist") != std::string::npos);
  CHECK_FALSE(gone.blocker);
  CHECK(check_email(resolver, "ops@nomail.example").status == Status::fail);
  Finding malformed = check_email(resolver, "ops@@bad");
  CHECK(malformed.status == Status::fail);
  CHECK(malformed.blocker);
  CHECK(malformed.fix.find("-m") != std::string::npos);
}

TEST_CASE("hostile CAA values are escaped in findings") {
  FakeDnsClient dns;
  dns.answer("example.com", RecordType::caa,
             caa("example.com", {"0 issue \"evil\x1b[31m.example\""}));
  Resolver resolver(dns, {k_server});
  Finding finding = check_caa(resolver, "example.com", std::vector<std::string>{"pebble.test"});
  CHECK(finding.status == Status::fail);
  CHECK(finding.detail.find('\x1b') == std::string::npos);
}
