#include "preflight/rate_limit_check.hpp"

#include "crypto/certificate.hpp"
#include "store/lineage.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>
#include <optional>

namespace certsmith::preflight {

namespace {

std::string subject_of(const std::vector<std::string>& names) {
  return fmt::format("{}{}", names.empty() ? "" : names.front(),
                     names.size() > 1 ? fmt::format(" (+{})", names.size() - 1) : "");
}

// issuance/fallback_kind.cpp's rule (preflight may not use issuance/): an
// empty or "real" kind is a certificate from the CA, any other a placeholder.
bool is_from_the_ca(const store::RenewalParams& params) {
  return params.certsmith_live_kind.empty() || params.certsmith_live_kind == "real";
}

std::string joined(const std::vector<std::string>& reasons) {
  std::string text;
  for (const auto& reason : reasons)
    text += (text.empty() ? "" : "; ") + reason;
  return text;
}

} // namespace

bool renews_a_lineage(const std::filesystem::path& config_dir,
                      const std::vector<std::string>& names) {
  if (config_dir.empty())
    return false;
  store::TreePaths paths;
  paths.config_dir = config_dir;
  std::vector<std::string> lineages;
  try {
    lineages = store::Lineage::list_names(paths);
  } catch (const Error&) {
    return false; // an unreadable tree: a new order, as far as doctor can tell
  }
  for (const auto& name : lineages) {
    try {
      auto lineage = store::Lineage::load_for_check(paths, name);
      if (!is_from_the_ca(lineage.params()))
        continue;
      auto facts = crypto::read_certificate(lineage.read_cert_pem());
      std::vector<std::string> previous = facts.dns_names;
      previous.insert(previous.end(), facts.ip_addresses.begin(), facts.ip_addresses.end());
      if (ratelimit::counts_as_renewal(previous, true, names))
        return true;
    } catch (const Error&) {
      continue; // a damaged lineage renews nothing; doctor is not the place to report it
    }
  }
  return false;
}

Finding check_rate_limits(const std::filesystem::path& work_dir, const std::string& server,
                          const ratelimit::Policy& policy, const std::vector<std::string>& names,
                          std::chrono::system_clock::time_point now,
                          const std::filesystem::path& config_dir) {
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
  const bool renewal = renews_a_lineage(config_dir, names);
  const auto reasons = ledger.over_limits(server, name_set, now, *limits, renewal);
  if (reasons.empty()) {
    finding.detail = "one more certificate fits the rate limits the issuance ledger can see";
    return finding;
  }
  finding.status = Status::fail;
  finding.detail = fmt::format("rate limit reached: the issuance ledger counts {}",
                               util::escape_untrusted(joined(reasons), 400));
  const auto slot = ledger.fits_again_at(server, name_set, now, *limits, renewal);
  finding.fix =
      fmt::format("wait until {}, when enough counted certificates have left the "
                  "window, or {}",
                  slot ? util::rfc3339_utc(*slot) : std::string("the window passes"), alternatives);
  return finding;
}

} // namespace certsmith::preflight
