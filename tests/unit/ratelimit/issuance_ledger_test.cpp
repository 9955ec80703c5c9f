#include "ratelimit/issuance_ledger.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "store/atomic_file.hpp"
#include "util/clock.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <sys/stat.h>

using namespace certsmith;
using namespace std::chrono;
using ratelimit::IssuanceLedger;

namespace {

const std::string k_server = "https://ca.test/dir";

system_clock::time_point day_n(int n) {
  return system_clock::time_point(hours(24 * (19000 + n)));
}

std::filesystem::path fresh_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ledger-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

} // namespace

TEST_CASE("duplicate certificates are counted by exact name set, any order or case") {
  IssuanceLedger ledger;
  ratelimit::Limits limits{50, 2, hours(24 * 7)};
  ledger.record({k_server, day_n(0), {"b.example.com", "a.example.com"}});
  CHECK(ledger.over_limits(k_server, {"A.example.com", "b.example.com"}, day_n(1), limits).empty());
  ledger.record({k_server, day_n(1), {"a.example.com", "B.EXAMPLE.COM", "a.example.com"}});
  auto reasons = ledger.over_limits(k_server, {"b.example.com", "a.example.com"}, day_n(2), limits);
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] ==
        "2 certificates for exactly these names in the last 7 days (the CA allows 2)");
  // Another set of names, another CA, or a week later: not a duplicate.
  CHECK(ledger.over_limits(k_server, {"a.example.com"}, day_n(2), limits).empty());
  CHECK(ledger
            .over_limits("https://other.test/dir", {"a.example.com", "b.example.com"}, day_n(2),
                         limits)
            .empty());
  CHECK(ledger.over_limits(k_server, {"a.example.com", "b.example.com"}, day_n(8), limits).size() ==
        0);
}

TEST_CASE("certificates are counted per registered domain, once per certificate") {
  IssuanceLedger ledger;
  ratelimit::Limits limits{2, 100, hours(24 * 7)};
  ledger.record({k_server, day_n(0), {"a.example.co.uk", "b.example.co.uk"}});
  CHECK(ledger.over_limits(k_server, {"c.example.co.uk"}, day_n(0), limits).empty());
  ledger.record({k_server, day_n(0), {"www.example.co.uk"}});
  ledger.record({k_server, day_n(0), {"other.co.uk"}});
  auto reasons =
      ledger.over_limits(k_server, {"new.example.co.uk", "x.other.co.uk"}, day_n(1), limits);
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] == "2 certificates for the registered domain example.co.uk in the last 7 days "
                      "(the CA allows 2)");
  // Renewing a lineage does not count against the registered domain, as at Let's Encrypt.
  CHECK(ledger.over_limits(k_server, {"www.example.co.uk"}, day_n(1), limits, true).empty());
}

TEST_CASE("the ledger file keeps only the window, privately, and survives damage") {
  auto work_dir = fresh_dir() / "work";
  IssuanceLedger ledger;
  ledger.record({k_server, day_n(0), {"old.example.com"}});
  ledger.record({k_server, day_n(6), {"new.example.com"}});
  ledger.save(work_dir, day_n(8), hours(24 * 7));
  auto loaded = IssuanceLedger::load(work_dir);
  REQUIRE(loaded.issuances().size() == 1);
  CHECK(loaded.issuances()[0].names == std::vector<std::string>{"new.example.com"});
  CHECK(loaded.issuances()[0].when == day_n(6));
  struct stat info {};
  REQUIRE(::stat((work_dir / "issuance-ledger.json").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  for (const char* hostile :
       {"", "[]", "{\"version\":2,\"issuances\":[]}", "{\"version\":1,\"issuances\":[{}]}",
        "{\"version\":1,\"issuances\":[{\"server\":1,\"time\":\"x\",\"names\":7}]}",
        "{\"version\":1", "{\"version\":1,\"issuances\":[{\"names\":[[[[[[[[[[]]]]]]]]]]}]}"}) {
    store::write_file_atomic(work_dir / "issuance-ledger.json", hostile, 0600);
    CHECK(IssuanceLedger::load(work_dir).issuances().empty());
  }
  std::filesystem::remove_all(work_dir.parent_path());
}

TEST_CASE("the ledger is bounded even within the window") {
  auto work_dir = fresh_dir();
  IssuanceLedger ledger;
  for (std::size_t i = 0; i < ratelimit::k_max_entries + 5; ++i)
    ledger.record({k_server, day_n(0) + seconds(i), {"n" + std::to_string(i) + ".example.com"}});
  ledger.save(work_dir, day_n(1), hours(24 * 7));
  auto loaded = IssuanceLedger::load(work_dir);
  REQUIRE(loaded.issuances().size() == ratelimit::k_max_entries);
  CHECK(loaded.issuances().front().names[0] == "n5.example.com"); // the oldest went first
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("limits apply to Let's Encrypt's server, or where the user set them") {
  ratelimit::Policy none;
  CHECK_FALSE(ratelimit::limits_for("https://ca.test/dir", none));
  auto letsencrypt = ratelimit::limits_for("https://acme-v02.api.letsencrypt.org/directory", none);
  REQUIRE(letsencrypt);
  CHECK(letsencrypt->per_registered_domain == 50);
  CHECK(letsencrypt->duplicate_certificate == 5);
  ratelimit::Policy low{3, std::nullopt, false};
  auto local = ratelimit::limits_for("https://ca.test/dir", low);
  REQUIRE(local);
  CHECK(local->per_registered_domain == 3);
  CHECK(local->duplicate_certificate > 1000000);
}

TEST_CASE("a strict policy refuses before the order, a lenient one only warns") {
  auto work_dir = fresh_dir();
  ratelimit::after_issuance(work_dir, k_server, {"a.example.com"}, day_n(0));
  ratelimit::Policy strict{std::nullopt, 1, true};
  CHECK_THROWS_AS(
      ratelimit::before_order(work_dir, strict, k_server, {"a.example.com"}, day_n(1), true),
      ratelimit::LimitReached); // a renewal is still a duplicate
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, strict, k_server, {"b.example.com"}, day_n(1), false));
  ratelimit::Policy lenient{std::nullopt, 1, false};
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, lenient, k_server, {"a.example.com"}, day_n(1), false));
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("only a previous real certificate for exactly the same names makes a renewal") {
  std::vector<std::string> names{"a.example.com", "www.a.example.com"};
  // A true renewal: same set, any order or case.
  CHECK(ratelimit::counts_as_renewal({"WWW.a.example.com", "a.example.com"}, true, names));
  // A bootstrap (or user) placeholder is live: the first real order is new.
  CHECK_FALSE(ratelimit::counts_as_renewal(names, false, names));
  // --cert-name X with new names: another set, a new order.
  CHECK_FALSE(ratelimit::counts_as_renewal({"a.example.com"}, true, names));
  CHECK_FALSE(ratelimit::counts_as_renewal({"a.example.com", "www.a.example.com", "b.example.com"},
                                           true, names));
  // No previous certificate.
  CHECK_FALSE(ratelimit::counts_as_renewal({}, true, {}));
}

TEST_CASE("a rateLimited answer holds back orders for the same registered domains until its end") {
  auto work_dir = fresh_dir();
  ratelimit::after_rate_limited(work_dir, k_server, {"www.example.co.uk"}, day_n(2), day_n(0));
  auto ledger = IssuanceLedger::load(work_dir);
  REQUIRE(ledger.backoffs().size() == 1);
  CHECK(ledger.backoff_until(k_server, {"shop.example.co.uk"}, day_n(1)) == day_n(2));
  CHECK_FALSE(ledger.backoff_until(k_server, {"other.co.uk"}, day_n(1)));
  CHECK_FALSE(ledger.backoff_until("https://other.test/dir", {"www.example.co.uk"}, day_n(1)));
  CHECK_FALSE(ledger.backoff_until(k_server, {"www.example.co.uk"}, day_n(2)));

  // Whatever the policy (none, lenient): the CA would refuse, so nothing is sent.
  ratelimit::Policy none;
  try {
    ratelimit::before_order(work_dir, none, k_server, {"example.co.uk"}, day_n(1), true);
    FAIL("no refusal");
  } catch (const ratelimit::RateLimitedByCa& refused) {
    CHECK(std::string(refused.what()) ==
          "skipped: rate limited by the CA until " + util::rfc3339_utc(day_n(2)));
    CHECK(refused.exit_code() == ExitCode::acme);
  }
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, none, k_server, {"other.co.uk"}, day_n(1), false));
  ratelimit::Policy ignoring;
  ignoring.ignore_ca_backoff = true; // the user's escape: a warning, the order goes out
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, ignoring, k_server, {"example.co.uk"}, day_n(1), false));
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, none, k_server, {"example.co.uk"}, day_n(3), false));

  // A later save (an issuance) after the end drops it.
  ratelimit::after_issuance(work_dir, k_server, {"other.co.uk"}, day_n(3));
  CHECK(IssuanceLedger::load(work_dir).backoffs().empty());
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("a rateLimited answer far in the future is held back at most the limit's 7-day window") {
  auto work_dir = fresh_dir();
  // retry_after.cpp accepts up to 400 days: that must not stop renewals for a year.
  ratelimit::after_rate_limited(work_dir, k_server, {"www.example.com"}, day_n(400), day_n(0));
  auto ledger = IssuanceLedger::load(work_dir);
  REQUIRE(ledger.backoffs().size() == 1);
  CHECK(ledger.backoffs()[0].until == day_n(7));
  CHECK(ledger.backoff_until(k_server, {"shop.example.com"}, day_n(6)) == day_n(7));
  CHECK_FALSE(ledger.backoff_until(k_server, {"shop.example.com"}, day_n(7)));
  // A time within the window is kept as the CA said.
  ratelimit::after_rate_limited(work_dir, k_server, {"b.example.net"}, day_n(3), day_n(0));
  CHECK(IssuanceLedger::load(work_dir).backoff_until(k_server, {"b.example.net"}, day_n(1)) ==
        day_n(3));
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("the duplicate-certificate limit holds back only the exact set of names") {
  CHECK(ratelimit::is_duplicate_certificate_limit(
      "too many certificates (5) already issued for this exact set of identifiers in the last "
      "168h0m0s, retry after 2026-11-30T00:00:00Z"));
  CHECK(ratelimit::is_duplicate_certificate_limit(
      "Error creating new order :: too many certificates already issued for exact set of "
      "domains: a.example.com"));
  CHECK(ratelimit::is_duplicate_certificate_limit("Duplicate Certificate limit reached"));
  CHECK_FALSE(ratelimit::is_duplicate_certificate_limit(
      "too many certificates (50) already issued for \"example.com\" in the last 168h0m0s"));
  CHECK_FALSE(ratelimit::is_duplicate_certificate_limit(""));

  auto work_dir = fresh_dir();
  ratelimit::after_rate_limited(work_dir, k_server, {"www.example.com", "example.com"}, day_n(2),
                                day_n(0),
                                "too many certificates (5) already issued for this exact set of "
                                "identifiers in the last 168h0m0s");
  auto ledger = IssuanceLedger::load(work_dir); // saved and read back with its kind
  REQUIRE(ledger.backoffs().size() == 1);
  CHECK(ledger.backoffs()[0].exact_names);
  CHECK(ledger.backoff_until(k_server, {"EXAMPLE.com", "www.example.com"}, day_n(1)) == day_n(2));
  CHECK_FALSE(ledger.backoff_until(k_server, {"example.com"}, day_n(1)));
  CHECK_FALSE(ledger.backoff_until(k_server, {"shop.example.com"}, day_n(1)));
  CHECK_FALSE(ledger.backoff_until(k_server, {"www.example.com", "example.com", "x.example.com"},
                                   day_n(1)));
  ratelimit::Policy none;
  CHECK_NOTHROW(
      ratelimit::before_order(work_dir, none, k_server, {"shop.example.com"}, day_n(1), false));
  CHECK_THROWS_AS(ratelimit::before_order(work_dir, none, k_server,
                                          {"example.com", "www.example.com"}, day_n(1), true),
                  ratelimit::RateLimitedByCa);

  // Any other rateLimited detail (per-domain limit, no detail): the whole registered domain.
  ratelimit::after_rate_limited(work_dir, k_server, {"a.example.org"}, day_n(2), day_n(0),
                                "too many certificates already issued for \"example.org\"");
  CHECK(IssuanceLedger::load(work_dir).backoff_until(k_server, {"b.example.org"}, day_n(1)) ==
        day_n(2));
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("a hostile backoff kind in the ledger: the file is damaged and started afresh") {
  auto work_dir = fresh_dir();
  store::write_file_atomic(work_dir / "issuance-ledger.json",
                           "{\"version\":1,\"issuances\":[],\"backoffs\":[{\"server\":\"" +
                               k_server +
                               "\",\"until\":1700000000,\"names\":[\"a.test\"],"
                               "\"exact_names\":\"yes\"}]}",
                           0600);
  CHECK(IssuanceLedger::load(work_dir).backoffs().empty());
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("hostile times in the ledger are dropped, not turned into time points") {
  auto work_dir = fresh_dir();
  auto path = work_dir / "issuance-ledger.json";
  std::string good = "{\"server\":\"" + k_server + "\",\"time\":1700000000,\"names\":[\"a.test\"]}";
  for (const char* time : {"-1", "9223372036854775807", "-9223372036854775808",
                           "18446744073709551615", "99999999999999999999999", "7258118401"}) {
    std::string bad =
        "{\"server\":\"" + k_server + "\",\"time\":" + time + ",\"names\":[\"b.test\"]}";
    std::string until = std::string("{\"server\":\"") + k_server + "\",\"until\":" + time +
                        ",\"names\":[\"b.test\"]}";
    store::write_file_atomic(path,
                             "{\"version\":1,\"issuances\":[" + good + "," + bad +
                                 "],\"backoffs\":[" + until + "]}",
                             0600);
    auto ledger = IssuanceLedger::load(work_dir);
    INFO(time);
    // 99999999999999999999999 is a float to the parser: the whole file is damaged.
    if (std::string(time) == "99999999999999999999999") {
      CHECK(ledger.issuances().empty());
      continue;
    }
    REQUIRE(ledger.issuances().size() == 1);
    CHECK(ledger.issuances()[0].names == std::vector<std::string>{"a.test"});
    CHECK(ledger.backoffs().empty());
  }
  // Wrong types anywhere: the file is damaged, a new ledger starts.
  for (const char* hostile :
       {"{\"version\":1,\"issuances\":[{\"server\":\"s\",\"time\":1.5e300,\"names\":[]}]}",
        "{\"version\":1,\"issuances\":[],\"backoffs\":[{\"server\":\"s\",\"until\":\"soon\","
        "\"names\":[]}]}",
        "{\"version\":1,\"issuances\":[],\"backoffs\":{\"a\":1}}",
        "{\"version\":1,\"issuances\":[],\"backoffs\":[{\"server\":\"s\",\"until\":true,\"names\":["
        "]}]}"}) {
    store::write_file_atomic(path, hostile, 0600);
    auto ledger = IssuanceLedger::load(work_dir);
    CHECK(ledger.issuances().empty());
    CHECK(ledger.backoffs().empty());
  }
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("a huge ledger file is not read whole") {
  auto work_dir = fresh_dir();
  {
    std::string big(17 * 1024 * 1024, ' ');
    big.replace(0, 30, "{\"version\":1,\"issuances\":[  ");
    store::write_file_atomic(work_dir / "issuance-ledger.json", big, 0600);
  }
  CHECK(IssuanceLedger::load(work_dir).issuances().empty());
  std::filesystem::remove_all(work_dir);
}
