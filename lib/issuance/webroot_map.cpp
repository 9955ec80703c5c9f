#include "issuance/webroot_map.hpp"

#include "acme/identifier.hpp"
#include "util/error.hpp"

#include <algorithm>
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

std::vector<std::string> webroot_paths_of(const std::map<std::string, std::string>& map) {
  std::vector<std::string> paths;
  for (const auto& [domain, root] : map) {
    if (std::find(paths.begin(), paths.end(), root) == paths.end())
      paths.push_back(root);
  }
  return paths;
}

} // namespace certsmith::issuance
