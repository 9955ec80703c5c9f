#include "preflight/rate_limit_check.hpp"
#include "ratelimit/issuance_ledger.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace certsmith;
using namespace certsmith::preflight;
using namespace std::chrono_literals;

namespace {

const std::string k_server = "https://ca.test/dir";
const auto k_now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

struct WorkDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / "certsmith-f2-rate-limit-check";
  WorkDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~WorkDir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("rate limit reached: the ledger counts as many as the policy allows") {
  WorkDir work;
  auto ledger = ratelimit::IssuanceLedger::load(work.path);
  ledger.record({k_server, k_now - 48h, {"a.example.com"}});
  ledger.record({k_server, k_now - 24h, {"a.example.com"}});
  ledger.save(work.path, k_now, std::chrono::hours(24 * 7));
  ratelimit::Policy policy;
  policy.duplicate_certificate = 2;
  Finding finding = check_rate_limits(work.path, k_server, policy, {"a.example.com"}, k_now);
  CHECK(finding.check == "ratelimit");
  CHECK(finding.status == Status::fail);
  CHECK(finding.detail.find("rate limit reached") != std::string::npos);
  // The oldest counted certificate (48 h ago) leaves the 7-day window in 5 days.
  CHECK(finding.fix.find("wait until 2027-01-20T") != std::string::npos);
  CHECK(finding.fix.find("--dry-run") != std::string::npos);
  CHECK(finding.fix.find("staging") != std::string::npos);

  // Other names, another CA: nothing counted.
  CHECK(check_rate_limits(work.path, k_server, policy, {"b.example.net"}, k_now).status ==
        Status::pass);
  CHECK(check_rate_limits(work.path, "https://other.test/dir", policy, {"a.example.com"}, k_now)
            .status == Status::pass);
}

TEST_CASE("rate limit reached: a remembered rateLimited answer names when to come back") {
  WorkDir work;
  auto ledger = ratelimit::IssuanceLedger::load(work.path);
  ledger.record_backoff({k_server, k_now + 3h, {"x.example.com"}});
  ledger.save(work.path, k_now, std::chrono::hours(24 * 7));
  Finding finding = check_rate_limits(work.path, k_server, {}, {"y.example.com"}, k_now);
  CHECK(finding.status == Status::fail);
  CHECK(finding.fix.find("wait until 2027-01-15T") != std::string::npos);
}

TEST_CASE("rate limit check: no limits known passes, a damaged ledger does not crash") {
  WorkDir work;
  CHECK(check_rate_limits(work.path, k_server, {}, {"a.example.com"}, k_now).status ==
        Status::pass);
  std::ofstream(work.path / "issuance-ledger.json") << "{\"issuances\": [1, \"\\u001b[2J\"";
  Finding damaged = check_rate_limits(work.path, k_server, {}, {"a.example.com"}, k_now);
  CHECK(damaged.status != Status::fail);
  CHECK(damaged.detail.find('\x1b') == std::string::npos);
}
