#include "ratelimit/rate_limit_guard.hpp"

#include "util/clock.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <fmt/format.h>
#include <mutex>

namespace certsmith::ratelimit {

namespace {

constexpr std::string_view k_letsencrypt_production = "https://acme-v02.api.letsencrypt.org/";

std::mutex g_ledger_mutex; // renewal workers share the ledger file

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : "; ") + item;
  return text;
}

} // namespace

std::optional<Limits> limits_for(const std::string& server, const Policy& policy) {
  bool letsencrypt = server.starts_with(k_letsencrypt_production);
  if (!letsencrypt && !policy.per_registered_domain && !policy.duplicate_certificate)
    return std::nullopt;
  Limits limits; // Let's Encrypt's numbers
  if (!letsencrypt) {
    limits.per_registered_domain = INT_MAX;
    limits.duplicate_certificate = INT_MAX;
  }
  if (policy.per_registered_domain)
    limits.per_registered_domain = *policy.per_registered_domain;
  if (policy.duplicate_certificate)
    limits.duplicate_certificate = *policy.duplicate_certificate;
  return limits;
}

void before_order(const std::filesystem::path& work_dir, const Policy& policy,
                  const std::string& server, const std::vector<std::string>& names,
                  std::chrono::system_clock::time_point now, bool renewal) {
  std::lock_guard lock(g_ledger_mutex);
  IssuanceLedger ledger = IssuanceLedger::load(work_dir);
  if (auto until = ledger.backoff_until(server, names, now)) {
    std::string said = fmt::format("rate limited by the CA until {}", util::rfc3339_utc(*until));
    if (!policy.ignore_ca_backoff)
      throw RateLimitedByCa("skipped: " + said);
    util::log_warning("ordering although {} (--ignore-rate-limit-backoff)", said);
  }
  auto limits = limits_for(server, policy);
  if (!limits)
    return;
  auto reasons = ledger.over_limits(server, names, now, *limits, renewal);
  if (reasons.empty())
    return;
  std::string subject =
      fmt::format("{}{}", names.empty() ? "" : names.front(),
                  names.size() > 1 ? fmt::format(" (+{})", names.size() - 1) : "");
  if (policy.strict)
    throw LimitReached(fmt::format("not ordering {}: the issuance ledger counts {}; wait, or run "
                                   "without --strict-rate-limits",
                                   subject, joined(reasons)));
  util::log_warning("{}: the CA will likely refuse this order: the issuance ledger counts {}",
                    subject, joined(reasons));
}

bool is_duplicate_certificate_limit(std::string_view problem_detail) {
  std::string lower(problem_detail);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("exact set of") != std::string::npos ||
         lower.find("duplicate") != std::string::npos;
}

void after_rate_limited(const std::filesystem::path& work_dir, const std::string& server,
                        const std::vector<std::string>& names,
                        std::chrono::system_clock::time_point until,
                        std::chrono::system_clock::time_point now,
                        const std::string& problem_detail) {
  // Every limit that refuses orders refills within its window (Let's Encrypt:
  // 7 days for certificates per registered domain and duplicates, hours for
  // the others), so a Retry-After further away (retry_after.cpp accepts up to
  // 400 days) is a mistake or hostile: honouring it would stop every renewal
  // of the domain until its certificates expired. After the window the worst
  // is one more rateLimited answer.
  const Limits window;
  until = std::min(until, now + window.window);
  std::lock_guard lock(g_ledger_mutex);
  try {
    auto ledger = IssuanceLedger::load(work_dir);
    ledger.record_backoff({server, until, names, is_duplicate_certificate_limit(problem_detail)});
    ledger.save(work_dir, now, window.window);
  } catch (const Error& error) {
    util::log_warning("the issuance ledger was not updated: {}", error.what());
  }
}

void after_issuance(const std::filesystem::path& work_dir, const std::string& server,
                    const std::vector<std::string>& names,
                    std::chrono::system_clock::time_point now) {
  std::lock_guard lock(g_ledger_mutex);
  try {
    auto ledger = IssuanceLedger::load(work_dir);
    ledger.record({server, now, names});
    Limits window; // entries are kept for Let's Encrypt's window whatever the limits
    ledger.save(work_dir, now, window.window);
  } catch (const Error& error) {
    util::log_warning("the issuance ledger was not updated: {}", error.what());
  }
}

} // namespace certsmith::ratelimit
