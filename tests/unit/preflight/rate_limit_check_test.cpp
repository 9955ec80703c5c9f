#include "preflight/rate_limit_check.hpp"
#include "ratelimit/issuance_ledger.hpp"
#include "store/lineage.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/clock.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace certsmith;
using namespace certsmith::preflight;
using namespace std::chrono_literals;

namespace {

const std::string k_server = "https://ca.test/dir";
const auto k_now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

// A fresh directory per test: ctest runs the test cases in parallel processes.
struct WorkDir {
  std::filesystem::path path;
  WorkDir() {
    std::string pattern = "/tmp/certsmith-rate-limit-check-XXXXXX";
    path = ::mkdtemp(pattern.data());
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

namespace {

// A lineage under config_dir whose live certificate names `names` (kind: the
// certsmith_live_kind of its conf, "" for one from the CA).
void make_lineage(const std::filesystem::path& config_dir, const std::string& lineage,
                  const std::vector<std::string>& names, const std::string& kind = "") {
  store::TreePaths paths;
  paths.config_dir = config_dir;
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::ecdsa, "secp256r1", 0});
  crypto::test::CertificateSpec spec;
  spec.dns_names = names;
  spec.not_before = k_now - 24h;
  spec.not_after = k_now + 24h * 60;
  std::string cert = crypto::test::make_certificate_pem(spec, key, key);
  store::RenewalParams params;
  params.certsmith_live_kind = kind;
  store::create_lineage(paths, lineage, {cert, cert, cert + cert, key.to_pem()}, params);
}

// Per-domain limit 2, reached by two other certificates of example.com.
void two_for_the_domain(const std::filesystem::path& work_dir) {
  auto ledger = ratelimit::IssuanceLedger::load(work_dir);
  ledger.record({k_server, k_now - 48h, {"b.example.com"}});
  ledger.record({k_server, k_now - 24h, {"c.example.com"}});
  ledger.save(work_dir, k_now, std::chrono::hours(24 * 7));
}

} // namespace

TEST_CASE("rate limit check: names a lineage already holds renew, exempt from the domain limit") {
  WorkDir work;
  const auto config = work.path / "config";
  two_for_the_domain(work.path);
  ratelimit::Policy policy;
  policy.per_registered_domain = 2;
  const std::vector<std::string> names = {"www.example.com", "example.com"};
  // No lineage: a new order, refused.
  CHECK(check_rate_limits(work.path, k_server, policy, names, k_now, config).status ==
        Status::fail);
  // A lineage with other names (a subset) does not make it a renewal.
  make_lineage(config, "example.com", {"example.com"});
  CHECK(check_rate_limits(work.path, k_server, policy, names, k_now, config).status ==
        Status::fail);
  // A placeholder for exactly these names is no certificate from the CA.
  make_lineage(config, "placeholder", {"example.com", "www.example.com"}, "self-signed-fallback");
  CHECK(check_rate_limits(work.path, k_server, policy, names, k_now, config).status ==
        Status::fail);
  // A real certificate for exactly these names (any order, any case): a renewal.
  make_lineage(config, "www", {"WWW.example.com", "example.com"});
  Finding renewal = check_rate_limits(work.path, k_server, policy, names, k_now, config);
  CHECK(renewal.status == Status::pass);
  // Without a config dir to look in, still a new order.
  CHECK(check_rate_limits(work.path, k_server, policy, names, k_now, "").status == Status::fail);
}

TEST_CASE("rate limit check: a damaged lineage is no renewal and no crash") {
  WorkDir work;
  const auto config = work.path / "config";
  two_for_the_domain(work.path);
  std::filesystem::create_directories(config / "renewal");
  std::ofstream(config / "renewal" / "example.com.conf") << "\x1b[2J garbage = = \n";
  ratelimit::Policy policy;
  policy.per_registered_domain = 2;
  CHECK(check_rate_limits(work.path, k_server, policy, {"example.com"}, k_now, config).status ==
        Status::fail);
}

TEST_CASE("rate limit check: wait until the certificate that frees one slot of the hit limit") {
  WorkDir work;
  auto ledger = ratelimit::IssuanceLedger::load(work.path);
  // Another name of the domain, older than all: not counted by the duplicate limit.
  ledger.record({k_server, k_now - 24h * 6 - 12h, {"b.example.com"}});
  ledger.record({k_server, k_now - 24h * 6, {"a.example.com"}});
  ledger.record({k_server, k_now - 24h * 2, {"a.example.com"}});
  ledger.record({k_server, k_now - 24h, {"a.example.com"}});
  ledger.save(work.path, k_now, std::chrono::hours(24 * 7));
  ratelimit::Policy policy;
  policy.duplicate_certificate = 2;
  Finding finding = check_rate_limits(work.path, k_server, policy, {"a.example.com"}, k_now);
  REQUIRE(finding.status == Status::fail);
  // 3 counted, 2 allowed: two must leave, the second oldest (2 days ago) in 5 days.
  const std::string when = util::rfc3339_utc(k_now - 24h * 2 + 24h * 7);
  CHECK(finding.fix.find("wait until " + when) != std::string::npos);

  // Both limits hit: the later of the two times.
  policy.per_registered_domain = 3; // 4 of example.com: two must leave, the -6 d one in 1 day
  Finding both = check_rate_limits(work.path, k_server, policy, {"a.example.com"}, k_now);
  CHECK(both.fix.find("wait until " + when) != std::string::npos);
  // Only the domain limit: 4 counted, 2 allowed, three must leave: the -2 d one.
  policy.duplicate_certificate = 10;
  policy.per_registered_domain = 2;
  Finding domain = check_rate_limits(work.path, k_server, policy, {"a.example.com"}, k_now);
  CHECK(domain.fix.find("wait until " + when) != std::string::npos);
  // 4 counted, 4 allowed: one must leave, the oldest (b.example.com, 6.5 days ago).
  policy.per_registered_domain = 4;
  Finding oldest = check_rate_limits(work.path, k_server, policy, {"a.example.com"}, k_now);
  CHECK(oldest.fix.find("wait until " + util::rfc3339_utc(k_now - 24h * 6 - 12h + 24h * 7)) !=
        std::string::npos);
}
