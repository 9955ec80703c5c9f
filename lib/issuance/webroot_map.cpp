#include "issuance/webroot_map.hpp"

#include "acme/identifier.hpp"
#include "util/error.hpp"

#include <filesystem>

namespace certsmith::issuance {

std::map<std::string, std::string> build_webroot_map(const std::vector<DomainOrWebroot>& flags) {
  std::map<std::string, std::string> map;
  std::vector<std::string> without_webroot;
  std::string current;
  for (const auto& flag : flags) {
    if (flag.is_webroot) {
      if (flag.value.empty())
        throw UsageError("--webroot-path needs a directory");
      current = std::filesystem::absolute(flag.value).lexically_normal().string();
      if (current.size() > 1 && current.back() == '/')
        current.pop_back();
      continue;
    }
    std::string domain = acme::normalize_domain(flag.value);
    if (current.empty())
      without_webroot.push_back(domain);
    else
      map.try_emplace(domain, current);
  }
  if (!without_webroot.empty()) {
    if (current.empty())
      throw UsageError("--webroot needs a document root: add -w /path/to/webroot");
    for (const auto& domain : without_webroot)
      map.try_emplace(domain, current);
  }
  return map;
}

} // namespace certsmith::issuance
