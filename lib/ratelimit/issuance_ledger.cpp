#include "ratelimit/issuance_ledger.hpp"

#include "ratelimit/registered_domain.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace certsmith::ratelimit {

namespace {

constexpr std::size_t k_max_file_bytes = 16 * 1024 * 1024;
constexpr int k_format_version = 1;

std::filesystem::path ledger_path(const std::filesystem::path& work_dir) {
  return work_dir / "issuance-ledger.json";
}

long long unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::string days(std::chrono::seconds window) {
  auto count = std::chrono::duration_cast<std::chrono::hours>(window).count();
  return count % 24 == 0 ? fmt::format("{} days", count / 24) : fmt::format("{} hours", count);
}

std::string certificates(int count) {
  return fmt::format("{} certificate{}", count, count == 1 ? "" : "s");
}

/// Throws std::exception (caught by load) for anything that is not a ledger.
std::vector<Issuance> parse(const std::string& text) {
  // Depth capped while parsing: nlohmann copes with deep nesting only until it copies it.
  auto shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > 4)
      throw std::runtime_error("nested too deeply");
    return true;
  };
  auto document = nlohmann::json::parse(text, shallow);
  if (!document.is_object() || document.value("version", 0) != k_format_version)
    throw std::runtime_error("not a version 1 ledger");
  std::vector<Issuance> issuances;
  for (const auto& entry : document.at("issuances")) {
    Issuance issuance;
    issuance.server = entry.at("server").get<std::string>();
    issuance.when = std::chrono::system_clock::time_point(
        std::chrono::seconds(entry.at("time").get<long long>()));
    issuance.names = name_set(entry.at("names").get<std::vector<std::string>>());
    issuances.push_back(std::move(issuance));
  }
  return issuances;
}

} // namespace

std::vector<std::string> name_set(const std::vector<std::string>& names) {
  std::set<std::string> unique;
  for (std::string name : names) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    unique.insert(std::move(name));
  }
  return {unique.begin(), unique.end()};
}

IssuanceLedger IssuanceLedger::load(const std::filesystem::path& work_dir) {
  IssuanceLedger ledger;
  std::error_code error;
  if (!std::filesystem::exists(ledger_path(work_dir), error))
    return ledger;
  try {
    ledger.m_issuances = parse(store::read_file(ledger_path(work_dir), k_max_file_bytes));
  } catch (const std::exception& problem) {
    util::log_warning("{}: not a readable issuance ledger ({}); starting a new one",
                      ledger_path(work_dir).string(), problem.what());
    ledger.m_issuances.clear();
  }
  return ledger;
}

void IssuanceLedger::save(const std::filesystem::path& work_dir,
                          std::chrono::system_clock::time_point now,
                          std::chrono::seconds window) const {
  nlohmann::json entries = nlohmann::json::array();
  std::size_t first = m_issuances.size() > k_max_entries ? m_issuances.size() - k_max_entries : 0;
  for (std::size_t i = first; i < m_issuances.size(); ++i) {
    const Issuance& issuance = m_issuances[i];
    if (issuance.when <= now - window)
      continue;
    entries.push_back({{"server", issuance.server},
                       {"time", unix_seconds(issuance.when)},
                       {"names", issuance.names}});
  }
  nlohmann::json document = {{"version", k_format_version}, {"issuances", entries}};
  store::make_private_dirs(work_dir, 0700);
  store::write_file_atomic(ledger_path(work_dir), document.dump(1) + "\n", 0600);
}

void IssuanceLedger::record(Issuance issuance) {
  issuance.names = name_set(issuance.names);
  m_issuances.push_back(std::move(issuance));
}

std::vector<std::string> IssuanceLedger::over_limits(const std::string& server,
                                                     const std::vector<std::string>& names,
                                                     std::chrono::system_clock::time_point now,
                                                     const Limits& limits, bool renewal) const {
  std::vector<std::string> wanted = name_set(names);
  std::set<std::string> domains;
  for (const auto& name : wanted)
    domains.insert(registered_domain(name));

  int duplicates = 0;
  std::map<std::string, int> per_domain;
  for (const auto& issuance : m_issuances) {
    if (issuance.server != server || issuance.when <= now - limits.window)
      continue;
    duplicates += issuance.names == wanted;
    std::set<std::string> counted; // one certificate counts once per registered domain
    for (const auto& name : issuance.names) {
      std::string domain = registered_domain(name);
      if (domains.count(domain) && counted.insert(domain).second)
        ++per_domain[domain];
    }
  }

  std::vector<std::string> reasons;
  if (duplicates >= limits.duplicate_certificate)
    reasons.push_back(fmt::format("{} for exactly these names in the last {} (the CA allows {})",
                                  certificates(duplicates), days(limits.window),
                                  limits.duplicate_certificate));
  for (const auto& [domain, count] : per_domain) {
    if (!renewal && count >= limits.per_registered_domain)
      reasons.push_back(fmt::format(
          "{} for the registered domain {} in the last {} (the CA allows {})", certificates(count),
          domain, days(limits.window), limits.per_registered_domain));
  }
  return reasons;
}

} // namespace certsmith::ratelimit
