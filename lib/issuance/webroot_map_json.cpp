#include "issuance/webroot_map_json.hpp"

#include "acme/identifier.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace certsmith::issuance {

namespace {

constexpr std::size_t k_max_json_bytes = 64 * 1024;

std::string document_root(const nlohmann::json& value) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty())
    throw UsageError("--webroot-map: each value must be a document root path");
  const auto& path = value.get_ref<const std::string&>();
  if (std::any_of(path.begin(), path.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    throw UsageError("--webroot-map: a document root holds a control character");
  std::string root = std::filesystem::absolute(path).lexically_normal().string();
  if (root.size() > 1 && root.back() == '/')
    root.pop_back();
  return root;
}

} // namespace

std::vector<std::pair<std::string, std::string>> parse_webroot_map_json(std::string_view json) {
  if (json.size() > k_max_json_bytes)
    throw UsageError("--webroot-map: longer than 64 KiB");
  nlohmann::ordered_json object = nlohmann::ordered_json::parse(json, nullptr, false);
  if (object.is_discarded() || !object.is_object())
    throw UsageError("--webroot-map: not a JSON object such as "
                     "'{\"example.com,www.example.com\": \"/var/www/example\"}'");
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [names, value] : object.items()) {
    std::string root = document_root(value);
    std::string_view rest = names;
    while (true) {
      auto comma = rest.find(',');
      std::string_view name = rest.substr(0, comma);
      while (!name.empty() && name.front() == ' ')
        name.remove_prefix(1);
      while (!name.empty() && name.back() == ' ')
        name.remove_suffix(1);
      if (name.empty())
        throw UsageError("--webroot-map: an empty name in a key");
      entries.emplace_back(acme::normalize_domain(std::string(name)), root);
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }
  return entries;
}

std::vector<DomainOrWebroot>
merge_webroot_map(const std::vector<DomainOrWebroot>& flags,
                  const std::vector<std::pair<std::string, std::string>>& entries) {
  std::map<std::string, std::string> last_root;
  for (const auto& [domain, root] : entries)
    last_root[domain] = root;
  std::set<std::string> mapped;
  std::vector<DomainOrWebroot> merged;
  for (const auto& entry : entries) {
    const std::string& domain = entry.first;
    if (!mapped.insert(domain).second)
      continue; // a name twice: one pair, in its first place, with its last root
    merged.push_back({true, last_root.at(domain)});
    merged.push_back({false, domain});
  }
  std::vector<DomainOrWebroot> others;
  bool other_domains = false;
  for (const auto& flag : flags) {
    if (!flag.is_webroot && mapped.contains(acme::normalize_domain(flag.value)))
      continue;
    other_domains = other_domains || !flag.is_webroot;
    others.push_back(flag);
  }
  if (other_domains) {
    for (const auto& [domain, root] : build_webroot_map(others)) {
      merged.push_back({true, root});
      merged.push_back({false, domain});
    }
  }
  return merged;
}

void apply_webroot_map_json(std::string_view json, std::vector<DomainOrWebroot>& order,
                            std::vector<std::string>& domains) {
  auto entries = parse_webroot_map_json(json);
  order = merge_webroot_map(order, entries);
  std::set<std::string> listed;
  for (const auto& domain : domains)
    listed.insert(acme::normalize_domain(domain));
  for (const auto& entry : entries)
    if (listed.insert(entry.first).second)
      domains.push_back(entry.first);
}

} // namespace certsmith::issuance
