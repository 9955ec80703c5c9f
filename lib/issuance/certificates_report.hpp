#pragma once
// `certificates`: what each lineage holds, in certbot's layout so that scripts
// and eyes used to certbot read it the same way.

#include "store/tree_paths.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct LineageSummary {
  std::string name;
  std::vector<std::string> domains;
  std::string serial_hex;
  std::string key_type; // "ECDSA" / "RSA"
  std::chrono::system_clock::time_point not_after;
  std::string fullchain_path;
  std::string privkey_path;
  std::string problem; // non-empty: the lineage could not be read, and why
};

/// Read every lineage of the tree; one that cannot be read gets a problem line
/// instead of failing the whole listing.
std::vector<LineageSummary> summarize_lineages(const store::TreePaths& paths);

/// certbot's listing: "Found the following certs:" with one block per lineage,
/// "VALID: N days" / "INVALID: EXPIRED", then the unreadable ones.
std::string format_certificates_report(const std::vector<LineageSummary>& lineages,
                                       std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
