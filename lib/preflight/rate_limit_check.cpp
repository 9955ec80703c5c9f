#include "preflight/rate_limit_check.hpp"

#include "ratelimit/registered_domain.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>
#include <optional>
#include <set>

namespace certsmith::preflight {

namespace {

std::string subject_of(const std::vector<std::string>& names) {
  return fmt::format("{}{}", names.empty() ? "" : names.front(),
                     names.size() > 1 ? fmt::format(" (+{})", names.size() - 1) : "");
}

// When the oldest certificate the ledger counts against these names leaves
// the window: the earliest time one more could fit.
std::optional<std::chrono::system_clock::time_point>
first_slot(const ratelimit::IssuanceLedger& ledger, const std::string& server,
           const std::vector<std::string>& names, std::chrono::system_clock::time_point now,
           std::chrono::seconds window) {
  std::set<std::string> domains;
  for (const auto& name : names)
    domains.insert(ratelimit::registered_domain(name));
  std::optional<std::chrono::system_clock::time_point> oldest;
  for (const auto& issuance : ledger.issuances()) {
    if (issuance.server != server || issuance.when + window <= now)
      continue;
    for (const auto& name : issuance.names) {
      if (domains.contains(ratelimit::registered_domain(name))) {
        if (!oldest || issuance.when < *oldest)
          oldest = issuance.when;
        break;
      }
    }
  }
  if (!oldest)
    return std::nullopt;
  return *oldest + window;
}

std::string joined(const std::vector<std::string>& reasons) {
  std::string text;
  for (const auto& reason : reasons)
    text += (text.empty() ? "" : "; ") + reason;
  return text;
}

} // namespace

Finding check_rate_limits(const std::filesystem::path& work_dir, const std::string& server,
                          const ratelimit::Policy& policy, const std::vector<std::string>& names,
                          std::chrono::system_clock::time_point now) {
  Finding finding{"ratelimit", util::escape_untrusted(subject_of(names), 200), Status::pass, "", "",
                  false};
  const std::vector<std::string> name_set = ratelimit::name_set(names);
  ratelimit::IssuanceLedger ledger;
  try {
    ledger = ratelimit::IssuanceLedger::load(work_dir);
  } catch (const Error& error) {
    finding.status = Status::warn;
    finding.detail = fmt::format("cannot read the issuance ledger: {}",
                                 util::escape_untrusted(error.what(), 200));
    finding.fix = "check the work dir (--work-dir)";
    return finding;
  }
  const std::string alternatives = "test with --dry-run or against the staging server (--staging)";
  if (auto until = ledger.backoff_until(server, name_set, now)) {
    finding.status = Status::fail;
    finding.detail = fmt::format("rate limit reached: the CA answered rateLimited for these "
                                 "names' domain, come back at {}",
                                 util::rfc3339_utc(*until));
    finding.fix = fmt::format("wait until {} (certsmith sends no order before), or {}",
                              util::rfc3339_utc(*until), alternatives);
    return finding;
  }
  const auto limits = ratelimit::limits_for(server, policy);
  if (!limits) {
    finding.detail = "no rate limit is known for this CA (--rate-limit-per-domain and "
                     "--rate-limit-duplicates set some)";
    return finding;
  }
  const auto reasons = ledger.over_limits(server, name_set, now, *limits, false);
  if (reasons.empty()) {
    finding.detail = "one more certificate fits the rate limits the issuance ledger can see";
    return finding;
  }
  finding.status = Status::fail;
  finding.detail = fmt::format("rate limit reached: the issuance ledger counts {}",
                               util::escape_untrusted(joined(reasons), 400));
  const auto slot = first_slot(ledger, server, name_set, now, limits->window);
  finding.fix =
      fmt::format("wait until {}, when the oldest counted certificate leaves the "
                  "window, or {}",
                  slot ? util::rfc3339_utc(*slot) : std::string("the window passes"), alternatives);
  return finding;
}

} // namespace certsmith::preflight
