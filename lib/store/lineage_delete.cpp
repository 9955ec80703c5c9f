#include "store/lineage_delete.hpp"

#include "store/fault_injection.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <array>
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

std::string shown(const std::filesystem::path& path) {
  return util::escape_untrusted(path.string(), 512);
}

// What the renewal conf says is the lineage's: its four live links and its
// archive_dir. A conf that cannot be read stands for the default layout, so
// that a broken conf does not make a lineage undeletable.
struct LineageFiles {
  std::array<std::filesystem::path, 4> links; // cert, privkey, chain, fullchain
  std::filesystem::path archive_dir;
};

LineageFiles files_named_by_conf(const TreePaths& paths, const std::string& name) {
  try {
    auto lineage = Lineage::load_for_check(paths, name);
    return {{lineage.cert_path(), lineage.privkey_path(), lineage.chain_path(),
             lineage.fullchain_path()},
            lineage.archive_dir()};
  } catch (const Error& error) {
    util::log_info("{} cannot be read ({}); deleting {} and {}", shown(paths.renewal_conf(name)),
                   error.what(), shown(paths.lineage_live_dir(name)),
                   shown(paths.lineage_archive_dir(name)));
  }
  const auto live = paths.lineage_live_dir(name);
  return {{live / "cert.pem", live / "privkey.pem", live / "chain.pem", live / "fullchain.pem"},
          paths.lineage_archive_dir(name)};
}

// The name of `archive_dir` inside the tree's archive/, or DeleteRefused: an
// rmtree of whatever path a conf names could reach anywhere on the machine.
std::string archive_entry(const TreePaths& paths, const std::string& name,
                          const std::filesystem::path& archive_dir) {
  const auto wanted = normal_absolute(archive_dir);
  const std::string entry = wanted.filename().string();
  if (wanted.parent_path() != normal_absolute(paths.archive_dir()) || entry.empty() ||
      entry == "." || entry == "..")
    throw DeleteRefused(fmt::format(
        "Not deleting {}: {} names archive_dir {}, outside {}; certsmith only removes an "
        "archive directly inside it (move the archive there and fix archive_dir, or delete "
        "the files by hand)",
        name, shown(paths.renewal_conf(name)), shown(archive_dir), shown(paths.archive_dir())));
  return entry;
}

// certbot's match_and_check_overlaps: no other lineage may use the archive.
// A conf that cannot be read is taken to use its default archive, so that
// doubt keeps files rather than removing them.
void refuse_shared_archive(const TreePaths& paths, const std::string& name,
                           const std::filesystem::path& archive_dir) {
  const auto ours = normal_absolute(archive_dir);
  for (const auto& other : Lineage::list_names(paths)) {
    if (other == name)
      continue;
    std::filesystem::path theirs = paths.lineage_archive_dir(other);
    try {
      theirs = Lineage::load_for_check(paths, other).archive_dir();
    } catch (const Error& error) {
      util::log_debug("{} cannot be read: {}", shown(paths.renewal_conf(other)), error.what());
    }
    if (normal_absolute(theirs) == ours)
      throw SharedArchiveDir(
          fmt::format("Not deleting {} due to overlapping archive dirs. More than one "
                      "certificate is using {} ({} names it too)",
                      name, shown(archive_dir), shown(paths.renewal_conf(other))),
          archive_dir);
  }
}

// Remove `file` in the directory open at dir_fd if it is a symbolic link (or,
// with any_kind, a plain file such as README); anything else stays.
void unlink_if_link(int dir_fd, const std::filesystem::path& dir, const std::string& file,
                    bool any_kind) {
  struct stat st {};
  if (::fstatat(dir_fd, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return;
    throw_io(dir / file, "inspect");
  }
  if (!S_ISLNK(st.st_mode) && !(any_kind && S_ISREG(st.st_mode))) {
    util::log_info("{} is not a symbolic link; left in place", shown(dir / file));
    return;
  }
  if (::unlinkat(dir_fd, file.c_str(), 0) != 0 && errno != ENOENT)
    throw_io(dir / file, "remove");
}

// certbot's part of delete_files for the live directory: the links the conf
// names (only those inside live/NAME: a conf pointing into another lineage
// must not break it), README, and live/NAME when that leaves it empty.
void remove_live_links(const TreePaths& paths, const std::string& name,
                       const std::array<std::filesystem::path, 4>& links) {
  const auto own = normal_absolute(paths.lineage_live_dir(name));
  std::vector<std::string> files;
  for (const auto& link : links) {
    if (normal_absolute(link).parent_path() == own)
      files.push_back(normal_absolute(link).filename().string());
    else
      util::log_warning("{} names {}, outside {}; left in place", shown(paths.renewal_conf(name)),
                        shown(link), shown(own));
  }
  if (files.empty())
    return;

  const auto live_root = paths.live_dir();
  FileDescriptor live_fd(::open(live_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (live_fd.get() < 0) {
    if (errno == ENOENT)
      return;
    throw_io(live_root, "open");
  }
  const auto live = live_root / name;
  struct stat st {};
  if (::fstatat(live_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return;
    throw_io(live, "inspect");
  }
  if (S_ISLNK(st.st_mode)) { // removed as a link; where it points is not ours
    if (::unlinkat(live_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      throw_io(live, "remove");
  } else if (S_ISDIR(st.st_mode)) {
    FileDescriptor dir(
        ::openat(live_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() < 0)
      throw_io(live, "open");
    for (const auto& file : files)
      unlink_if_link(dir.get(), live, file, false);
    // certbot empties and removes the directory only when it held all four links.
    if (files.size() == links.size()) {
      unlink_if_link(dir.get(), live, "README", true);
      if (::unlinkat(live_fd.get(), name.c_str(), AT_REMOVEDIR) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
          throw_io(live, "remove");
        if (errno != ENOENT)
          util::log_info("{} still holds files certsmith did not write; left in place",
                         shown(live));
      }
    }
  } else {
    util::log_info("{} is not a directory; left in place", shown(live));
  }
  if (::fsync(live_fd.get()) != 0)
    throw_io(live_root, "sync");
}

} // namespace

void require_lineage_conf(const TreePaths& paths, const std::string& name) {
  validate_cert_name(name);
  const std::filesystem::path conf = paths.renewal_conf(name);
  if (!exists_no_follow(conf))
    throw LineageNotFound(
        fmt::format("No certificate found with name {} (expected {}).", name, conf.string()));
}

void check_delete_allowed(const TreePaths& paths, const std::string& name) {
  require_lineage_conf(paths, name);
  const LineageFiles files = files_named_by_conf(paths, name);
  static_cast<void>(archive_entry(paths, name, files.archive_dir));
  refuse_shared_archive(paths, name, files.archive_dir);
}

void delete_lineage(const TreePaths& paths, const std::string& name) {
  require_lineage_conf(paths, name);
  // Every refusal comes before the first removal. Once the conf is gone the
  // lineage has no name any command can address, so a refusal after that would
  // strand its links and archive; and the user's way out (fixing archive_dir,
  // or moving the files) needs the conf. So: check, then remove.
  const LineageFiles files = files_named_by_conf(paths, name);
  const std::string archive = archive_entry(paths, name, files.archive_dir);
  refuse_shared_archive(paths, name, files.archive_dir);

  // The conf first: a crash later leaves files no conf names, never a conf
  // naming missing files.
  remove_in(paths.renewal_dir(), name + ".conf");
  testing::fault_point("delete:conf-removed");
  remove_live_links(paths, name, files.links);
  remove_in(paths.live_dir(), "." + name + ".new"); // what a crashed save_successor left
  testing::fault_point("delete:live-removed");
  remove_in(paths.archive_dir(), archive);
}

} // namespace certsmith::store
