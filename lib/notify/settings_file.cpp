#include "notify/settings_file.hpp"

#include "store/atomic_file.hpp"
#include "store/config_obj.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

namespace certsmith::notify {

namespace {

constexpr std::size_t k_max_settings_bytes = 64 * 1024;

std::string absolute_path(const std::string& path) {
  return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

} // namespace

std::filesystem::path settings_dir(const store::TreePaths& paths) {
  return paths.config_dir / "certsmith" / "notify";
}

std::filesystem::path settings_file(const store::TreePaths& paths, const std::string& lineage) {
  store::validate_cert_name(lineage); // one path component, never "../x"
  return settings_dir(paths) / (lineage + ".conf");
}

NotifySettings load_lineage_settings(const store::TreePaths& paths, const std::string& lineage) {
  auto path = settings_file(paths, lineage);
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0)
    return {};
  // The file may hold a webhook's secret URL: one others can read or write was
  // not written by us, and its URLs could send our mail elsewhere.
  if (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0)
    throw StorageError(fmt::format("{} must be a regular file only its owner can access (0600)",
                                   util::escape_untrusted(path.string(), 300)));
  auto conf = store::ConfigObj::parse(store::read_file(path, k_max_settings_bytes), path.string());
  return read_settings(conf);
}

bool save_lineage_settings(const store::TreePaths& paths, const std::string& lineage,
                           const NotifySettings& flags) {
  NotifySettings saved = flags;
  saved.smtp_credentials = absolute_path(saved.smtp_credentials);
  saved.ca_bundle = absolute_path(saved.ca_bundle);
  NotifySettings recorded = load_lineage_settings(paths, lineage);
  NotifySettings merged = overlay(saved, recorded);
  if (merged == recorded)
    return false;
  store::make_private_dirs(settings_dir(paths), 0700);
  store::ConfigObj conf = store::ConfigObj::parse("", settings_file(paths, lineage).string());
  write_settings(conf, merged);
  store::write_file_atomic(settings_file(paths, lineage), conf.to_string(), 0600);
  return true;
}

bool clear_lineage_settings(const store::TreePaths& paths, const std::string& lineage) {
  std::error_code ignored;
  return std::filesystem::remove(settings_file(paths, lineage), ignored);
}

void prune_lineage_settings(const store::TreePaths& paths, const std::vector<std::string>& names) {
  std::set<std::string> keep;
  for (const auto& name : names)
    keep.insert(name + ".conf");
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(settings_dir(paths), error)) {
    if (!keep.contains(entry.path().filename().string()) && entry.path().extension() == ".conf")
      std::filesystem::remove(entry.path(), error);
  }
}

} // namespace certsmith::notify
