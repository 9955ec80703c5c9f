#include "ratelimit/issuance_ledger.hpp"

#include "ratelimit/registered_domain.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/unix_time.hpp"

#include <algorithm>
#include <climits>
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

std::string days(std::chrono::seconds window) {
  auto count = std::chrono::duration_cast<std::chrono::hours>(window).count();
  return count % 24 == 0 ? fmt::format("{} days", count / 24) : fmt::format("{} hours", count);
}

std::string certificates(int count) {
  return fmt::format("{} certificate{}", count, count == 1 ? "" : "s");
}

struct Parsed {
  std::vector<Issuance> issuances;
  std::vector<Backoff> backoffs;
  int out_of_range = 0; // entries dropped for a time no clock reading can have
};

/// An integer Unix time in range; another type throws (the file is damaged),
/// an integer out of range is std::nullopt (the entry is dropped).
std::optional<std::chrono::system_clock::time_point> stored_time(const nlohmann::json& value) {
  if (!value.is_number_integer())
    throw std::runtime_error("a time that is not an integer");
  if (value.is_number_unsigned() && value.get<unsigned long long>() > LLONG_MAX)
    return std::nullopt;
  return util::time_from_unix(value.get<long long>());
}

/// Throws std::exception (caught by load) for anything that is not a ledger.
Parsed parse(const std::string& text) {
  // Depth capped while parsing: nlohmann copes with deep nesting only until it copies it.
  auto shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > 4)
      throw std::runtime_error("nested too deeply");
    return true;
  };
  auto document = nlohmann::json::parse(text, shallow);
  if (!document.is_object() || document.value("version", 0) != k_format_version)
    throw std::runtime_error("not a version 1 ledger");
  Parsed parsed;
  for (const auto& entry : document.at("issuances")) {
    Issuance issuance;
    issuance.server = entry.at("server").get<std::string>();
    auto when = stored_time(entry.at("time"));
    issuance.names = name_set(entry.at("names").get<std::vector<std::string>>());
    if (!when) {
      ++parsed.out_of_range;
      continue;
    }
    issuance.when = *when;
    parsed.issuances.push_back(std::move(issuance));
  }
  // Absent in ledgers written before certsmith remembered rateLimited answers.
  if (document.contains("backoffs")) {
    for (const auto& entry : document.at("backoffs")) {
      Backoff backoff;
      backoff.server = entry.at("server").get<std::string>();
      auto until = stored_time(entry.at("until"));
      backoff.names = name_set(entry.at("names").get<std::vector<std::string>>());
      // Absent before certsmith told the duplicate-certificate limit apart.
      backoff.exact_names = entry.value("exact_names", false);
      if (!until) {
        ++parsed.out_of_range;
        continue;
      }
      backoff.until = *until;
      parsed.backoffs.push_back(std::move(backoff));
    }
  }
  return parsed;
}

std::set<std::string> registered_domains(const std::vector<std::string>& names) {
  std::set<std::string> domains;
  for (const auto& name : names)
    domains.insert(registered_domain(name));
  return domains;
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

bool counts_as_renewal(const std::vector<std::string>& previous_names, bool previous_is_real,
                       const std::vector<std::string>& names) {
  return previous_is_real && !previous_names.empty() && name_set(previous_names) == name_set(names);
}

IssuanceLedger IssuanceLedger::load(const std::filesystem::path& work_dir) {
  IssuanceLedger ledger;
  std::error_code error;
  if (!std::filesystem::exists(ledger_path(work_dir), error))
    return ledger;
  try {
    Parsed parsed = parse(store::read_file(ledger_path(work_dir), k_max_file_bytes));
    ledger.m_issuances = std::move(parsed.issuances);
    ledger.m_backoffs = std::move(parsed.backoffs);
    if (parsed.out_of_range > 0)
      util::log_warning("{}: ignoring {} entr{} with a time out of range",
                        ledger_path(work_dir).string(), parsed.out_of_range,
                        parsed.out_of_range == 1 ? "y" : "ies");
  } catch (const std::exception& problem) {
    util::log_warning("{}: not a readable issuance ledger ({}); starting a new one",
                      ledger_path(work_dir).string(), problem.what());
    ledger.m_issuances.clear();
    ledger.m_backoffs.clear();
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
                       {"time", util::unix_seconds(issuance.when)},
                       {"names", issuance.names}});
  }
  nlohmann::json backoffs = nlohmann::json::array();
  first = m_backoffs.size() > k_max_entries ? m_backoffs.size() - k_max_entries : 0;
  for (std::size_t i = first; i < m_backoffs.size(); ++i) {
    const Backoff& backoff = m_backoffs[i];
    if (backoff.until <= now)
      continue;
    backoffs.push_back({{"server", backoff.server},
                        {"until", util::unix_seconds(backoff.until)},
                        {"names", backoff.names},
                        {"exact_names", backoff.exact_names}});
  }
  nlohmann::json document = {
      {"version", k_format_version}, {"issuances", entries}, {"backoffs", backoffs}};
  store::make_private_dirs(work_dir, 0700);
  store::write_file_atomic(ledger_path(work_dir), document.dump(1) + "\n", 0600);
}

void IssuanceLedger::record(Issuance issuance) {
  issuance.names = name_set(issuance.names);
  m_issuances.push_back(std::move(issuance));
}

void IssuanceLedger::record_backoff(Backoff backoff) {
  backoff.names = name_set(backoff.names);
  m_backoffs.push_back(std::move(backoff));
}

std::optional<std::chrono::system_clock::time_point>
IssuanceLedger::backoff_until(const std::string& server, const std::vector<std::string>& names,
                              std::chrono::system_clock::time_point now) const {
  const std::vector<std::string> exact = name_set(names);
  std::set<std::string> wanted = registered_domains(exact);
  std::optional<std::chrono::system_clock::time_point> until;
  for (const auto& backoff : m_backoffs) {
    if (backoff.server != server || backoff.until <= now || (until && backoff.until <= *until))
      continue;
    if (backoff.exact_names) {
      if (backoff.names == exact)
        until = backoff.until;
      continue;
    }
    for (const auto& domain : registered_domains(backoff.names)) {
      if (wanted.count(domain)) {
        until = backoff.until;
        break;
      }
    }
  }
  return until;
}

std::vector<std::string> IssuanceLedger::over_limits(const std::string& server,
                                                     const std::vector<std::string>& names,
                                                     std::chrono::system_clock::time_point now,
                                                     const Limits& limits, bool renewal) const {
  std::vector<std::string> wanted = name_set(names);
  std::set<std::string> domains = registered_domains(wanted);

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

std::optional<std::chrono::system_clock::time_point>
IssuanceLedger::fits_again_at(const std::string& server, const std::vector<std::string>& names,
                              std::chrono::system_clock::time_point now, const Limits& limits,
                              bool renewal) const {
  std::vector<std::string> wanted = name_set(names);
  std::set<std::string> domains = registered_domains(wanted);
  // The times each limit counts, oldest first (m_issuances is oldest first).
  std::vector<std::chrono::system_clock::time_point> duplicates;
  std::map<std::string, std::vector<std::chrono::system_clock::time_point>> per_domain;
  for (const auto& issuance : m_issuances) {
    if (issuance.server != server || issuance.when <= now - limits.window)
      continue;
    if (issuance.names == wanted)
      duplicates.push_back(issuance.when);
    std::set<std::string> counted;
    for (const auto& name : issuance.names) {
      std::string domain = registered_domain(name);
      if (domains.count(domain) && counted.insert(domain).second)
        per_domain[domain].push_back(issuance.when);
    }
  }
  std::optional<std::chrono::system_clock::time_point> latest;
  // One more fits once count - limit + 1 of them have left the window.
  auto wait_for = [&](std::vector<std::chrono::system_clock::time_point> times, int limit) {
    const auto count = static_cast<long long>(times.size());
    if (times.empty() || count < limit)
      return;
    std::sort(times.begin(), times.end());
    // A limit of 0 or less never fits: the newest leaving is the best to say.
    const auto freeing = times[static_cast<std::size_t>(limit > 0 ? count - limit : count - 1)];
    if (!latest || freeing + limits.window > *latest)
      latest = freeing + limits.window;
  };
  wait_for(duplicates, limits.duplicate_certificate);
  if (!renewal) {
    for (const auto& [domain, times] : per_domain)
      wait_for(times, limits.per_registered_domain);
  }
  return latest;
}

} // namespace certsmith::ratelimit
