#include "issuance/certificates_report.hpp"

#include "crypto/certificate.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

// certbot's separator: 40 dashes with spaces between them.
const std::string k_rule = [] {
  std::string rule = "-";
  for (int i = 1; i < 40; ++i)
    rule += " -";
  return rule;
}();

std::string format_utc(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}+00:00", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string validity(std::chrono::system_clock::time_point not_after,
                     std::chrono::system_clock::time_point now) {
  if (not_after <= now)
    return "INVALID: EXPIRED";
  auto left = std::chrono::duration_cast<std::chrono::hours>(not_after - now).count();
  if (left >= 24)
    return fmt::format("VALID: {} day{}", left / 24, left / 24 == 1 ? "" : "s");
  return fmt::format("VALID: {} hour{}", left, left == 1 ? "" : "s");
}

} // namespace

std::vector<LineageSummary> summarize_lineages(const store::TreePaths& paths) {
  std::vector<LineageSummary> summaries;
  for (const auto& name : store::Lineage::list_names(paths)) {
    LineageSummary summary;
    summary.name = name;
    try {
      store::Lineage lineage = store::Lineage::load(paths, name);
      auto facts = crypto::read_certificate(lineage.read_cert_pem());
      summary.domains = facts.dns_names;
      summary.domains.insert(summary.domains.end(), facts.ip_addresses.begin(),
                             facts.ip_addresses.end());
      summary.serial_hex = facts.serial_hex;
      summary.key_type = facts.key_type;
      summary.not_after = facts.not_after;
      summary.fullchain_path = lineage.fullchain_path().string();
      summary.privkey_path = lineage.privkey_path().string();
    } catch (const Error& error) {
      summary.problem = error.what();
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

std::string format_certificates_report(const std::vector<LineageSummary>& lineages,
                                       std::chrono::system_clock::time_point now) {
  std::string out;
  bool any_valid = false;
  for (const auto& lineage : lineages) {
    if (!lineage.problem.empty())
      continue;
    if (!any_valid)
      out += k_rule + "\nFound the following certs:\n";
    any_valid = true;
    std::string domains;
    for (const auto& domain : lineage.domains)
      domains += (domains.empty() ? "" : " ") + domain;
    out += fmt::format("  Certificate Name: {}\n"
                       "    Serial Number: {}\n"
                       "    Key Type: {}\n"
                       "    Domains: {}\n"
                       "    Expiry Date: {} ({})\n"
                       "    Certificate Path: {}\n"
                       "    Private Key Path: {}\n",
                       lineage.name, lineage.serial_hex, lineage.key_type, domains,
                       format_utc(lineage.not_after), validity(lineage.not_after, now),
                       lineage.fullchain_path, lineage.privkey_path);
  }
  bool any_invalid = false;
  for (const auto& lineage : lineages) {
    if (lineage.problem.empty())
      continue;
    if (!any_invalid)
      out += (out.empty() ? k_rule + "\n" : "") +
             "The following renewal configurations were invalid:\n";
    any_invalid = true;
    out += fmt::format("  {}: {}\n", lineage.name, lineage.problem);
  }
  if (out.empty())
    out = k_rule + "\nNo certificates found.\n";
  return out + k_rule + "\n";
}

} // namespace certsmith::issuance
