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

/// The distinct document roots of map, first use first: certbot's webroot_path list.
std::vector<std::string> webroot_paths_of(const std::map<std::string, std::string>& map);

} // namespace certsmith::issuance
