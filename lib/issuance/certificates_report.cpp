#include "issuance/certificates_report.hpp"

#include "acme/identifier.hpp"
#include "crypto/certificate.hpp"
#include "issuance/fallback.hpp"
#include "store/lineage.hpp"
#include "store/lineage_check.hpp"
#include "util/error.hpp"

#include <algorithm>
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

std::string lower_case(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// What certificates suggests for live links that update_symlinks can repair.
constexpr const char* k_repair_command = "certsmith update_symlinks";

} // namespace

std::vector<std::string> LineageSummary::names() const {
  std::vector<std::string> all = dns_names;
  all.insert(all.end(), ip_addresses.begin(), ip_addresses.end());
  return all;
}

std::vector<LineageSummary> summarize_lineages(const store::TreePaths& paths) {
  std::vector<LineageSummary> summaries;
  for (const auto& name : store::Lineage::list_names(paths)) {
    LineageSummary summary;
    summary.name = name;
    summary.renewal_conf_path = paths.renewal_conf(name).string();
    try {
      store::Lineage lineage = store::Lineage::load_for_check(paths, name);
      summary.cert_path = lineage.cert_path().string();
      summary.chain_path = lineage.chain_path().string();
      summary.fullchain_path = lineage.fullchain_path().string();
      summary.privkey_path = lineage.privkey_path().string();
      summary.renewal = lineage.params();
      const store::LineageCheck check = store::check_lineage(paths, lineage);
      if (!check.ok()) {
        summary.problem = check.problem;
        if (check.repairable())
          summary.fix = k_repair_command;
        summaries.push_back(std::move(summary));
        continue;
      }
      auto facts = crypto::read_certificate(lineage.read_cert_pem());
      summary.dns_names = facts.dns_names;
      summary.ip_addresses = facts.ip_addresses;
      summary.serial_hex = facts.serial_hex;
      summary.key_type = facts.key_type;
      summary.issuer = facts.issuer;
      summary.not_before = facts.not_before;
      summary.not_after = facts.not_after;
    } catch (const Error& error) {
      summary.problem = error.what();
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

CertificateFilter CertificateFilter::from_flags(std::optional<std::string> cert_name,
                                                const std::vector<std::string>& domains,
                                                const std::vector<std::string>& ip_addresses) {
  CertificateFilter filter;
  filter.cert_name = std::move(cert_name);
  for (const auto& domain : domains)
    filter.domains.push_back(acme::normalize_domain(domain));
  for (const auto& address : ip_addresses)
    filter.ip_addresses.push_back(acme::normalize_ip_address(address));
  return filter;
}

bool CertificateFilter::matches(const LineageSummary& lineage) const {
  if (cert_name && *cert_name != lineage.name)
    return false;
  if (!lineage.problem.empty())
    return true;
  std::vector<std::string> dns_names = lineage.dns_names;
  for (auto& name : dns_names)
    name = lower_case(name);
  auto holds = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  return std::all_of(
             domains.begin(), domains.end(),
             [&](const std::string& domain) { return holds(dns_names, lower_case(domain)); }) &&
         std::all_of(ip_addresses.begin(), ip_addresses.end(), [&](const std::string& address) {
           return holds(lineage.ip_addresses, address);
         });
}

std::vector<LineageSummary> filter_lineages(std::vector<LineageSummary> lineages,
                                            const CertificateFilter& filter) {
  std::erase_if(lineages, [&](const LineageSummary& lineage) { return !filter.matches(lineage); });
  return lineages;
}

std::string format_certificates_report(const std::vector<LineageSummary>& lineages,
                                       std::chrono::system_clock::time_point now, bool filtered) {
  std::string out;
  bool any_valid = false;
  for (const auto& lineage : lineages) {
    if (!lineage.problem.empty())
      continue;
    if (!any_valid)
      out += k_rule + (filtered ? "\nFound the following matching certs:\n"
                                : "\nFound the following certs:\n");
    any_valid = true;
    std::string domains;
    for (const auto& domain : lineage.names())
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
    // Only a placeholder gets a line (fallback.hpp): a real lineage reads as certbot's.
    if (lineage.renewal && placeholder_is_live(*lineage.renewal))
      out += fmt::format("    Live Certificate: {} (not from the CA)\n",
                         live_kind_label(live_kind_of(*lineage.renewal)));
  }
  bool any_invalid = false;
  for (const auto& lineage : lineages) {
    if (lineage.problem.empty())
      continue;
    if (!any_invalid)
      out += (out.empty() ? k_rule + "\n" : "") +
             "The following renewal configurations were invalid:\n";
    any_invalid = true;
    out += fmt::format("  {}: {}{}\n", lineage.name, lineage.problem,
                       lineage.fix.empty() ? ""
                                           : fmt::format("; run \"{}\" to repair it", lineage.fix));
  }
  if (out.empty())
    out =
        k_rule + (filtered ? "\nNo matching certificates found.\n" : "\nNo certificates found.\n");
  return out + k_rule + "\n";
}

} // namespace certsmith::issuance
