#pragma once
// `certificates`: what each lineage holds, in certbot's layout so that scripts
// and eyes used to certbot read it the same way.

#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct LineageSummary {
  std::string name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string serial_hex;
  std::string key_type; // "ECDSA" / "RSA"
  std::string issuer;   // RFC 2253
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  // The live links as the renewal conf names them ("" when it could not be read).
  std::string cert_path;
  std::string chain_path;
  std::string fullchain_path;
  std::string privkey_path;
  std::string renewal_conf_path;
  std::optional<store::RenewalParams> renewal; // nullopt when the conf could not be read
  std::string problem;                         // non-empty: the lineage could not be read, and why
  // The command that would repair the problem ("" when none would): links that
  // `update_symlinks` can point at a complete, consistent archive version, never
  // one older than a link names (store::choose_repair_version).
  std::string fix;

  /// DNS names, then IP addresses: certbot's "Domains" line.
  std::vector<std::string> names() const;
};

/// Read every lineage of the tree; one that cannot be read, or whose files are
/// missing or inconsistent (store::check_lineage: certbot's checks), gets a
/// problem line (and whatever its conf still told) instead of failing the whole
/// listing. Changes nothing on disk.
std::vector<LineageSummary> summarize_lineages(const store::TreePaths& paths);

/// certbot's filters for `certificates`: --cert-name, -d and --ip-address
/// (every name given must be in the certificate: a domain among its DNS names,
/// compared without regard to case, an address among its IP addresses).
struct CertificateFilter {
  std::optional<std::string> cert_name;
  std::vector<std::string> domains;      // as acme::normalize_domain gives them
  std::vector<std::string> ip_addresses; // as acme::normalize_ip_address gives them

  /// The filter for the flags as typed: each -d normalized (an IDN becomes the
  /// A-labels a certificate holds), each --ip-address made canonical. Throws
  /// UsageError for a value those refuse.
  static CertificateFilter from_flags(std::optional<std::string> cert_name,
                                      const std::vector<std::string>& domains,
                                      const std::vector<std::string>& ip_addresses);

  bool active() const { return cert_name.has_value() || !domains.empty() || !ip_addresses.empty(); }
  /// A lineage that could not be read has no names to compare: as certbot
  /// lists such lineages regardless, it matches unless --cert-name names another.
  bool matches(const LineageSummary& lineage) const;
};

/// The lineages the filter keeps, in order.
std::vector<LineageSummary> filter_lineages(std::vector<LineageSummary> lineages,
                                            const CertificateFilter& filter);

/// certbot's listing: "Found the following certs:" ("matching certs" when
/// filtered) with one block per lineage, "VALID: N days" / "INVALID: EXPIRED",
/// then the unreadable or inconsistent ones with their problem (and the
/// command that repairs it, when there is one).
std::string format_certificates_report(const std::vector<LineageSummary>& lineages,
                                       std::chrono::system_clock::time_point now,
                                       bool filtered = false);

} // namespace certsmith::issuance
