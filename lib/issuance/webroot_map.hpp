#pragma once
// certbot's -w/-d pairing: each -d is served from the -w given before it;
// domains named before any -w use the last -w (certbot's webroot plugin rule).

#include <map>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct DomainOrWebroot {
  bool is_webroot = false;
  std::string value; // a domain (already split on commas) or a webroot path
};

/// Domain (normalized) -> absolute webroot path. Throws UsageError when a
/// domain has no webroot at all (no -w given).
std::map<std::string, std::string> build_webroot_map(const std::vector<DomainOrWebroot>& flags);

} // namespace certsmith::issuance
