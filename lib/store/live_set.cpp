#include "store/live_set.hpp"

#include "store/lineage_versions.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace certsmith::store {

namespace {

void make_dir(const std::filesystem::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 || ::chmod(dir.c_str(), mode) != 0) {
    throw StorageError(
        fmt::format("{}: cannot create directory ({})", dir.string(), std::strerror(errno)));
  }
}

// A copy (unlike a hard link) has new data blocks that must reach the disk before the switch.
void fsync_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || ::fsync(fd) != 0) {
    int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    throw StorageError(fmt::format("{}: cannot sync ({})", path.string(), std::strerror(error)));
  }
  ::close(fd);
}

} // namespace

// True when anything, even a dangling symlink, is at `path`.
bool present(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(std::filesystem::symlink_status(path, error));
}

// A regular file itself, not a symlink to one.
bool regular_file_at(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::filesystem::path archive_file(const std::filesystem::path& archive, std::size_t kind,
                                   int version) {
  return archive / fmt::format("{}{}.pem", k_lineage_kinds[kind], version);
}

void make_symlink(const std::filesystem::path& target, const std::filesystem::path& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0) {
    throw StorageError(
        fmt::format("{}: cannot create symlink ({})", link.string(), std::strerror(errno)));
  }
}

// The caller stages the README into the same batch as the archive files.
void build_live_set(const std::filesystem::path& pending, const std::filesystem::path& live,
                    const std::filesystem::path& archive, int version,
                    const std::array<std::string, 4>& link_names, mode_t mode) {
  make_dir(pending, mode);
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
    make_symlink(archive_file(archive, kind, version).lexically_relative(live),
                 pending / link_names[kind]);
  }
}

// Files a user or tool put in live/NAME survive the switch (and so does the
// README, as with certbot): regular files are hard-linked (copied if that
// fails) and symlinks recreated in the new set;
// directories are returned, to be moved across right after the exchange.
std::vector<std::string> carry_extras(const std::filesystem::path& live,
                                      const std::filesystem::path& pending) {
  std::vector<std::string> directories;
  std::error_code error;
  for (std::filesystem::directory_iterator it(live, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    auto from = it->path();
    auto to = pending / name;
    if (present(to)) {
      continue; // one of ours: the four links or README
    }
    auto status = it->symlink_status();
    if (std::filesystem::is_symlink(status)) {
      make_symlink(std::filesystem::read_symlink(from), to);
    } else if (std::filesystem::is_regular_file(status)) {
      if (::link(from.c_str(), to.c_str()) != 0) {
        std::filesystem::copy_file(from, to);
        std::filesystem::permissions(to, status.permissions());
        fsync_file(to);
      }
    } else {
      directories.push_back(name);
    }
  }
  if (error) {
    throw StorageError(fmt::format("{}: cannot list ({})", live.string(), error.message()));
  }
  return directories;
}

// Filesystems without RENAME_EXCHANGE: switch each link with its own rename,
// which is atomic per file (what certbot does for the whole set).
void switch_links_one_by_one(const std::filesystem::path& pending,
                             const std::filesystem::path& live,
                             const std::array<std::string, 4>& link_names) {
  for (const auto& name : link_names) {
    if (::rename((pending / name).c_str(), (live / name).c_str()) != 0) {
      throw StorageError(fmt::format("{}: cannot switch to the new version ({})",
                                     (live / name).string(), std::strerror(errno)));
    }
  }
}

} // namespace certsmith::store
