#include "store/lineage_delete.hpp"

#include "store/fault_injection.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/log.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace certsmith::store {

namespace {

class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (m_fd >= 0)
      ::close(m_fd);
  }
  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }

private:
  int m_fd;
};

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what) {
  throw StorageError(fmt::format("{}: cannot {} ({})", path.string(), what, std::strerror(errno)));
}

// The entries of the directory open at dir_fd, without "." and "..".
std::vector<std::string> list_entries(int dir_fd, const std::filesystem::path& path) {
  int fd = ::dup(dir_fd);
  if (fd < 0)
    throw_io(path, "list");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    throw_io(path, "list");
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  int error = errno;
  ::closedir(dir);
  if (error != 0) {
    errno = error;
    throw_io(path, "list");
  }
  return names;
}

// Remove `name` inside the directory open at parent_fd, and everything below
// it, relative to directory descriptors opened with O_NOFOLLOW, so a link
// swapped in at any level is unlinked rather than followed.
void remove_below(int parent_fd, const std::string& name, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return;
    throw_io(path, "inspect");
  }
  if (S_ISDIR(st.st_mode)) {
    FileDescriptor dir(
        ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() < 0)
      throw_io(path, "open");
    for (const auto& entry : list_entries(dir.get(), path))
      remove_below(dir.get(), entry, path / entry);
    if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      throw_io(path, "remove");
    return;
  }
  if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    throw_io(path, "remove");
}

// Remove `dir`/`name` (dir itself is the tree's own live/, archive/ or renewal/).
void remove_in(const std::filesystem::path& dir, const std::string& name) {
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) {
    if (errno == ENOENT)
      return;
    throw_io(dir, "open");
  }
  remove_below(dir_fd.get(), name, dir / name);
  if (::fsync(dir_fd.get()) != 0)
    throw_io(dir, "sync");
}

bool exists_no_follow(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

void require_lineage_conf(const TreePaths& paths, const std::string& name) {
  validate_cert_name(name);
  const std::filesystem::path conf = paths.renewal_conf(name);
  if (!exists_no_follow(conf))
    throw LineageNotFound(
        fmt::format("No certificate found with name {} (expected {}).", name, conf.string()));
}

void delete_lineage(const TreePaths& paths, const std::string& name) {
  require_lineage_conf(paths, name);
  const std::filesystem::path conf = paths.renewal_conf(name);

  // The conf may name an archive elsewhere (certbot's archive_dir); that one is
  // not ours to remove, and a broken conf must not stop the deletion.
  const std::filesystem::path own_archive = paths.lineage_archive_dir(name);
  try {
    auto archive = Lineage::load_for_check(paths, name).archive_dir();
    if (archive.lexically_normal() != own_archive.lexically_normal())
      util::log_warning("{} names archive_dir {}, which is left in place", conf.string(),
                        archive.string());
  } catch (const Error& error) {
    util::log_debug("deleting {} with an unreadable conf: {}", name, error.what());
  }

  remove_in(paths.renewal_dir(), name + ".conf");
  testing::fault_point("delete:conf-removed");
  remove_in(paths.live_dir(), name);
  remove_in(paths.live_dir(), "." + name + ".new"); // what a crashed save_successor left
  testing::fault_point("delete:live-removed");
  remove_in(paths.archive_dir(), name);
}

} // namespace certsmith::store
