#include "store/lineage.hpp"

#include "store/atomic_file.hpp"
#include "store/lineage_name.hpp"
#include "store/lineage_versions.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <system_error>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_conf_bytes = 1 << 20;
constexpr std::size_t k_max_pem_bytes = 1 << 20;

} // namespace

std::optional<std::pair<std::string, int>> parse_archive_name(std::string_view filename) {
  for (const char* kind : k_lineage_kinds) {
    std::string_view prefix(kind);
    if (!filename.starts_with(prefix) || !filename.ends_with(".pem")) {
      continue;
    }
    std::string_view digits = filename.substr(prefix.size(), filename.size() - prefix.size() - 4);
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    int version = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (error != std::errc() || end != digits.data() + digits.size()) {
      continue;
    }
    return std::make_pair(std::string(kind), version);
  }
  return std::nullopt;
}

std::map<std::string, std::set<int>> archive_versions(const std::filesystem::path& archive_dir) {
  std::map<std::string, std::set<int>> versions;
  std::error_code error;
  for (std::filesystem::directory_iterator it(archive_dir, error), end; !error && it != end;
       it.increment(error)) {
    if (auto parsed = parse_archive_name(it->path().filename().string())) {
      versions[parsed->first].insert(parsed->second);
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    throw StorageError(fmt::format("{}: cannot list ({})", archive_dir.string(), error.message()));
  }
  return versions;
}

std::filesystem::path pending_live_dir(const std::filesystem::path& live_dir) {
  return live_dir.parent_path() / ("." + live_dir.filename().string() + ".new");
}

Lineage Lineage::load(const TreePaths& paths, const std::string& name) {
  Lineage lineage = load_for_check(paths, name);
  lineage.verify();
  return lineage;
}

Lineage Lineage::load_for_check(const TreePaths& paths, const std::string& name) {
  validate_cert_name(name);
  Lineage lineage;
  lineage.m_name = name;
  lineage.m_conf_path = paths.renewal_conf(name);
  std::string text;
  try {
    text = read_file(lineage.m_conf_path, k_max_conf_bytes);
  } catch (const StorageError& error) {
    throw StorageError(fmt::format("certificate {}: {}", name, error.what()));
  }
  lineage.m_conf = ConfigObj::parse(text, lineage.m_conf_path.string());
  const Section& root = lineage.m_conf.root();
  for (std::size_t i = 0; i < k_lineage_kinds.size(); ++i) {
    auto value = root.get(k_lineage_kinds[i]);
    if (!value || value->empty()) {
      throw StorageError(
          fmt::format("{}: missing '{}'", lineage.m_conf_path.string(), k_lineage_kinds[i]));
    }
    lineage.m_links[i] = *value;
  }
  auto archive = root.get("archive_dir");
  lineage.m_archive_dir = archive && !archive->empty() ? std::filesystem::path(*archive)
                                                       : paths.lineage_archive_dir(name);
  lineage.m_params = read_renewal_params(lineage.m_conf);
  return lineage;
}

void Lineage::verify() const {
  // A crash between building live/.NAME.new and removing it leaves it behind;
  // live/NAME itself is complete in either case.
  std::error_code ignored;
  auto live = live_dir();
  if (live.is_absolute() && live.has_filename()) {
    std::filesystem::remove_all(pending_live_dir(live), ignored);
  }

  for (const auto& link : m_links) {
    struct stat st {};
    if (::lstat(link.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      throw StorageError(fmt::format("{}: expected a symlink", link.string()));
    }
    if (::stat(link.c_str(), &st) != 0) {
      throw StorageError(fmt::format("{}: its target {} does not exist", link.string(),
                                     std::filesystem::read_symlink(link, ignored).string()));
    }
  }
}

std::vector<std::string> Lineage::list_names(const TreePaths& paths) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(paths.renewal_dir(), error), end; !error && it != end;
       it.increment(error)) {
    std::string filename = it->path().filename().string();
    if (!filename.ends_with(".conf")) {
      continue;
    }
    std::string name = filename.substr(0, filename.size() - 5);
    try {
      validate_cert_name(name);
    } catch (const UsageError&) {
      continue;
    }
    names.push_back(std::move(name));
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    throw StorageError(
        fmt::format("{}: cannot list ({})", paths.renewal_dir().string(), error.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

int Lineage::latest_version() const {
  auto versions = archive_versions(m_archive_dir);
  const auto& certs = versions[k_lineage_kinds[0]];
  for (auto it = certs.rbegin(); it != certs.rend(); ++it) {
    if (std::all_of(k_lineage_kinds.begin(), k_lineage_kinds.end(),
                    [&](const char* kind) { return versions[kind].contains(*it); })) {
      return *it;
    }
  }
  return 0;
}

int Lineage::max_archive_version() const {
  int highest = 0;
  for (const auto& [kind, numbers] : archive_versions(m_archive_dir)) {
    if (!numbers.empty()) {
      highest = std::max(highest, *numbers.rbegin());
    }
  }
  return highest;
}

int Lineage::current_version() const {
  std::error_code error;
  auto target = std::filesystem::read_symlink(cert_path(), error);
  if (error) {
    return 0;
  }
  auto parsed = parse_archive_name(target.filename().string());
  return parsed && parsed->first == k_lineage_kinds[0] ? parsed->second : 0;
}

std::string Lineage::read_cert_pem() const {
  return read_file(cert_path(), k_max_pem_bytes);
}

std::string Lineage::read_privkey_pem() const {
  return read_file(privkey_path(), k_max_pem_bytes);
}

CertificateFiles Lineage::read_current() const {
  return CertificateFiles{read_cert_pem(), read_file(chain_path(), k_max_pem_bytes),
                          read_file(fullchain_path(), k_max_pem_bytes), read_privkey_pem()};
}

} // namespace certsmith::store
