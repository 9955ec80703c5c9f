#include "store/archive_prune.hpp"

#include "store/lineage_versions.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace certsmith::store {

namespace {

using FileId = std::pair<dev_t, ino_t>;

struct LiveTargets {
  std::set<int> versions;
  std::set<FileId> files;
};

// What the live links use right now. A hand rollback (links pointing at an
// old version) is honoured: that version is kept whatever its number.
// Returns nullopt when a link does not resolve: then we cannot tell what is in use.
std::optional<LiveTargets> live_targets(const Lineage& lineage) {
  LiveTargets targets;
  for (const auto* link : {&lineage.cert_path(), &lineage.privkey_path(), &lineage.chain_path(),
                           &lineage.fullchain_path()}) {
    struct stat st {};
    if (::stat(link->c_str(), &st) != 0) {
      util::log_warning("{}: not pruning the archive of {}: {} does not resolve ({})",
                        lineage.archive_dir().string(), lineage.name(), link->string(),
                        std::strerror(errno));
      return std::nullopt;
    }
    targets.files.emplace(st.st_dev, st.st_ino);
    std::error_code error;
    auto target = std::filesystem::read_symlink(*link, error);
    if (!error) {
      if (auto parsed = parse_archive_name(target.filename().string())) {
        targets.versions.insert(parsed->second);
      }
    }
  }
  return targets;
}

// Only names we would have written ourselves: "privkey01.pem" also parses as
// version 1 but is someone else's file.
std::optional<std::pair<std::string, int>> canonical_archive_name(const std::string& filename) {
  auto parsed = parse_archive_name(filename);
  if (!parsed || fmt::format("{}{}.pem", parsed->first, parsed->second) != filename) {
    return std::nullopt;
  }
  return parsed;
}

class DirFd {
public:
  explicit DirFd(const std::filesystem::path& dir)
      : m_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  ~DirFd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }

private:
  int m_fd;
};

int prune(const Lineage& lineage, int keep_previous) {
  const auto& archive = lineage.archive_dir();
  const int latest = lineage.latest_version();
  if (latest <= 0) {
    return 0;
  }
  const int oldest_kept = latest - std::max(keep_previous, 0);
  auto live = live_targets(lineage);
  if (!live) {
    return 0;
  }

  // Listed once by name, then each file is checked and removed relative to the
  // directory we listed, so a name is never followed anywhere else.
  DirFd dir(archive);
  if (dir.get() < 0) {
    util::log_warning("{}: cannot open to prune ({})", archive.string(), std::strerror(errno));
    return 0;
  }
  std::map<int, std::vector<std::string>> old_files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(archive, error), end; !error && it != end;
       it.increment(error)) {
    std::string filename = it->path().filename().string();
    auto parsed = canonical_archive_name(filename);
    if (parsed && parsed->second < oldest_kept && !live->versions.contains(parsed->second)) {
      old_files[parsed->second].push_back(std::move(filename));
    }
  }
  if (error) {
    util::log_warning("{}: cannot list to prune ({})", archive.string(), error.message());
    return 0;
  }

  int deleted = 0;
  for (const auto& [version, names] : old_files) {
    util::log_debug("{}: deleting version {} of {} (keeping {} and later)", archive.string(),
                    version, lineage.name(), oldest_kept);
    for (const auto& name : names) {
      struct stat st {};
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISREG(st.st_mode) || live->files.contains(FileId(st.st_dev, st.st_ino))) {
        continue;
      }
      if (::unlinkat(dir.get(), name.c_str(), 0) != 0) {
        util::log_warning("{}: cannot delete old version ({})", (archive / name).string(),
                          std::strerror(errno));
        continue;
      }
      ++deleted;
    }
  }
  return deleted;
}

} // namespace

int prune_archive(const Lineage& lineage, int keep_previous) noexcept {
  try {
    return prune(lineage, keep_previous);
  } catch (const std::exception& error) {
    try {
      util::log_warning("{}: pruning old versions failed: {}", lineage.archive_dir().string(),
                        error.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return 0;
}

} // namespace certsmith::store
