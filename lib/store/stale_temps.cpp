#include "store/stale_temps.hpp"

#include "store/lineage_versions.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace certsmith::store {

namespace {

// temp_sibling writes three hex numbers (pid, counter, random), each of at most 8 digits.
constexpr std::size_t k_min_hex = 3;
constexpr std::size_t k_max_hex = 24;

// TARGET for a name ".TARGET.tmp.<hex>", "" for any other name.
std::string_view temp_target(std::string_view filename) {
  constexpr std::string_view marker = ".tmp.";
  if (!filename.starts_with('.')) {
    return {};
  }
  auto at = filename.rfind(marker);
  if (at == std::string_view::npos || at < 2) {
    return {};
  }
  auto hex = filename.substr(at + marker.size());
  if (hex.size() < k_min_hex || hex.size() > k_max_hex ||
      !std::all_of(hex.begin(), hex.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return {};
  }
  return filename.substr(1, at - 1);
}

// Only our own regular files: a symlink, directory or someone else's file of
// that name was not made by FileBatch.
int remove_matching(const std::filesystem::path& dir,
                    const std::function<bool(std::string_view)>& is_ours) {
  if (dir.empty()) {
    return 0;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return 0;
  }
  DIR* listing = ::fdopendir(dir_fd);
  if (listing == nullptr) {
    ::close(dir_fd);
    return 0;
  }
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(listing)) {
    std::string_view target = temp_target(entry->d_name);
    struct stat st {};
    if (!target.empty() && is_ours(target) &&
        ::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        st.st_uid == ::geteuid()) {
      stale.emplace_back(entry->d_name);
    }
  }
  int removed = 0;
  for (const auto& filename : stale) {
    removed += ::unlinkat(dir_fd, filename.c_str(), 0) == 0 ? 1 : 0;
  }
  ::closedir(listing); // closes dir_fd
  return removed;
}

} // namespace

int remove_stale_temps(const LineageDirs& dirs) {
  const std::string conf = dirs.name + ".conf";
  int removed = remove_matching(dirs.archive_dir, [](std::string_view target) {
    return parse_archive_name(target).has_value();
  });
  removed +=
      remove_matching(dirs.renewal_dir, [&](std::string_view target) { return target == conf; });
  removed +=
      remove_matching(dirs.live_dir, [](std::string_view target) { return target == "README"; });
  return removed;
}

} // namespace certsmith::store
