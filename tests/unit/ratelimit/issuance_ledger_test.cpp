#include "ratelimit/issuance_ledger.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "store/atomic_file.hpp"

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
  ratelimit::set_policy({std::nullopt, 1, true});
  CHECK_THROWS_AS(ratelimit::before_order(work_dir, k_server, {"a.example.com"}, day_n(1), true),
                  ratelimit::LimitReached); // a renewal is still a duplicate
  CHECK_NOTHROW(ratelimit::before_order(work_dir, k_server, {"b.example.com"}, day_n(1), false));
  ratelimit::set_policy({std::nullopt, 1, false});
  CHECK_NOTHROW(ratelimit::before_order(work_dir, k_server, {"a.example.com"}, day_n(1), false));
  ratelimit::set_policy({});
  std::filesystem::remove_all(work_dir);
}
