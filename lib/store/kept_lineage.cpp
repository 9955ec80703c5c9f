#include "store/kept_lineage.hpp"

#include "store/atomic_file.hpp"
#include "store/config_obj.hpp"
#include "store/fault_injection.hpp"
#include "store/lineage_delete.hpp"
#include "store/lineage_name.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_kept_file = 1024 * 1024;
// The four files of a kept entry, in CertificateFiles order, and its conf.
constexpr std::array<const char*, 4> k_kept_files = {"cert.pem", "chain.pem", "fullchain.pem",
                                                     "privkey.pem"};
constexpr const char* k_kept_conf = "renewal.conf";

class Fd {
public:
  explicit Fd(int fd = -1) : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(m_fd, other.m_fd);
    return *this;
  }
  ~Fd() {
    if (m_fd >= 0)
      ::close(m_fd);
  }
  int get() const { return m_fd; }

private:
  int m_fd;
};

std::string shown(const std::filesystem::path& path) {
  return util::escape_untrusted(path.string(), 512);
}

[[noreturn]] void throw_io(const std::filesystem::path& path, const char* what) {
  throw StorageError(fmt::format("{}: cannot {} ({})", shown(path), what, std::strerror(errno)));
}

// A directory certsmith may trust: really a directory (the open follows no
// link), this user's, not writable by anyone else.
void require_safe_dir(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw_io(path, "inspect");
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    throw KeptDirUnsafe(fmt::format(
        "{} is not a directory of this user that only it can write; certsmith neither keeps "
        "nor reuses certificates there (fix its owner and mode, or remove it; "
        "delete --purge deletes without keeping)",
        shown(path)));
}

// Open `name` in parent_fd as a trusted directory; ENOENT gives fd -1 unless
// create is set (then it is made 0700).
Fd open_dir_at(int parent_fd, const std::string& name, const std::filesystem::path& path,
               bool create) {
  if (create && ::mkdirat(parent_fd, name.c_str(), 0700) != 0 && errno != EEXIST)
    throw_io(path, "create");
  Fd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT && !create)
      return fd;
    if (errno == ELOOP || errno == ENOTDIR)
      throw KeptDirUnsafe(fmt::format("{} is a symbolic link or not a directory; certsmith "
                                      "neither keeps nor reuses certificates there (remove it; "
                                      "delete --purge deletes without keeping)",
                                      shown(path)));
    throw_io(path, "open");
  }
  require_safe_dir(fd.get(), path);
  return fd;
}

// kept/ itself (created with certsmith/ when `create`), or fd -1 when absent.
Fd open_kept_root(const TreePaths& paths, bool create) {
  Fd config(::open(paths.config_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (config.get() < 0) {
    if (errno == ENOENT && !create)
      return config;
    throw_io(paths.config_dir, "open");
  }
  Fd own = open_dir_at(config.get(), "certsmith", paths.config_dir / "certsmith", create);
  if (own.get() < 0)
    return own;
  return open_dir_at(own.get(), "kept", kept_dir(paths), create);
}

void remove_at(int parent_fd, const std::string& name, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return;
    throw_io(path, "inspect");
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      throw_io(path, "remove");
    return;
  }
  int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    throw_io(path, "open");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    throw_io(path, "list");
  }
  std::vector<std::string> entries;
  while (dirent* entry = ::readdir(dir)) {
    std::string child = entry->d_name;
    if (child != "." && child != "..")
      entries.push_back(std::move(child));
  }
  for (const auto& child : entries) {
    try {
      remove_at(::dirfd(dir), child, path / child);
    } catch (...) {
      ::closedir(dir);
      throw;
    }
  }
  ::closedir(dir);
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw_io(path, "remove");
}

// Hard-link the regular file `from` (a path the tree's own code resolved) as
// `to_name` in to_fd; a link or special file there is refused, not followed.
void link_regular(const std::filesystem::path& from, int to_fd, const char* to_name,
                  const std::filesystem::path& to_path) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0)
    throw_io(from, "inspect");
  if (!S_ISREG(st.st_mode))
    throw StorageError(fmt::format("{} is not a regular file; not kept (delete --purge deletes "
                                   "without keeping)",
                                   shown(from)));
  // EXDEV (archive on another filesystem) or EPERM (protected_hardlinks, a
  // file of another user): the user decides; --purge deletes without keeping.
  if (::linkat(AT_FDCWD, from.c_str(), to_fd, to_name, 0) != 0)
    throw StorageError(fmt::format("{}: cannot keep it as {} ({}); delete --purge deletes "
                                   "without keeping",
                                   shown(from), shown(to_path), std::strerror(errno)));
}

std::string read_regular_at(int dir_fd, const char* name, const std::filesystem::path& path) {
  Fd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0)
    throw_io(path, "open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw_io(path, "inspect");
  if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > k_max_kept_file)
    throw StorageError(
        fmt::format("{}: not a regular file of at most {} bytes", shown(path), k_max_kept_file));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t got = ::read(fd.get(), text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw_io(path, "read");
    if (got == 0)
      break;
    done += static_cast<std::size_t>(got);
  }
  text.resize(done);
  return text;
}

} // namespace

std::filesystem::path kept_dir(const TreePaths& paths) {
  return paths.config_dir / "certsmith" / "kept";
}

void keep_lineage(const TreePaths& paths, const std::string& name) {
  check_delete_allowed(paths, name); // every refusal before the first write
  Lineage lineage = Lineage::load_for_check(paths, name);
  int version = lineage.current_version();
  if (version == 0)
    version = lineage.latest_version();
  if (version == 0)
    throw StorageError(fmt::format("{} has no complete certificate version to keep (delete "
                                   "--purge deletes it without keeping)",
                                   name));
  const std::string conf_text = read_file(paths.renewal_conf(name), k_max_kept_file);

  Fd kept = open_kept_root(paths, true);
  const std::string staging_name = "." + name + ".partial";
  const auto staging_path = kept_dir(paths) / staging_name;
  remove_at(kept.get(), staging_name, staging_path); // what a crashed keep left
  Fd staging = open_dir_at(kept.get(), staging_name, staging_path, true);
  const auto archive = lineage.archive_dir();
  for (std::size_t i = 0; i < k_kept_files.size(); ++i) {
    std::string kind = k_kept_files[i];
    kind.resize(kind.size() - 4); // ".pem"
    link_regular(archive / fmt::format("{}{}.pem", kind, version), staging.get(), k_kept_files[i],
                 staging_path / k_kept_files[i]);
  }
  write_file_atomic(staging_path / k_kept_conf, conf_text, 0600);
  if (::fsync(staging.get()) != 0)
    throw_io(staging_path, "sync");
  testing::fault_point("keep:staged");

  remove_at(kept.get(), name, kept_dir(paths) / name); // an older keep of the same name
  if (::renameat(kept.get(), staging_name.c_str(), kept.get(), name.c_str()) != 0)
    throw_io(kept_dir(paths) / name, "rename");
  if (::fsync(kept.get()) != 0)
    throw_io(kept_dir(paths), "sync");
  testing::fault_point("keep:published");

  delete_lineage(paths, name);
}

std::vector<std::string> list_kept(const TreePaths& paths) {
  Fd kept = open_kept_root(paths, false);
  std::vector<std::string> names;
  if (kept.get() < 0)
    return names;
  // Listed through the descriptor just checked, not by path again.
  int fd = ::dup(kept.get());
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (dir == nullptr) {
    if (fd >= 0)
      ::close(fd);
    throw_io(kept_dir(paths), "list");
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    try {
      validate_cert_name(name); // also drops ".", ".." and ".NAME.partial"
      names.push_back(std::move(name));
    } catch (const UsageError&) {
    }
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

KeptEntry read_kept(const TreePaths& paths, const std::string& name) {
  validate_cert_name(name);
  Fd kept = open_kept_root(paths, false);
  if (kept.get() < 0)
    throw StorageError(fmt::format("{}: no such kept certificate", shown(kept_dir(paths) / name)));
  const auto dir_path = kept_dir(paths) / name;
  Fd dir = open_dir_at(kept.get(), name, dir_path, false);
  if (dir.get() < 0)
    throw StorageError(fmt::format("{}: no such kept certificate", shown(dir_path)));
  KeptEntry entry;
  entry.name = name;
  std::array<std::string*, 4> slots = {&entry.files.cert_pem, &entry.files.chain_pem,
                                       &entry.files.fullchain_pem, &entry.files.privkey_pem};
  for (std::size_t i = 0; i < k_kept_files.size(); ++i)
    *slots[i] = read_regular_at(dir.get(), k_kept_files[i], dir_path / k_kept_files[i]);
  const auto conf_path = dir_path / k_kept_conf;
  std::string conf_text = read_regular_at(dir.get(), k_kept_conf, conf_path);
  entry.params = read_renewal_params(ConfigObj::parse(conf_text, conf_path.string()));
  return entry;
}

void remove_kept(const TreePaths& paths, const std::string& name) {
  validate_cert_name(name);
  Fd kept = open_kept_root(paths, false);
  if (kept.get() < 0)
    return;
  remove_at(kept.get(), name, kept_dir(paths) / name);
  if (::fsync(kept.get()) != 0)
    throw_io(kept_dir(paths), "sync");
}

} // namespace certsmith::store
