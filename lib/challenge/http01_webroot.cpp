#include "challenge/http01_webroot.hpp"

#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <mutex>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace certsmith::challenge {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_well_known = ".well-known";
constexpr const char* k_acme_challenge = "acme-challenge";

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 256);
}
std::string shown_path(const fs::path& path) {
  return util::escape_untrusted(path.string(), 512);
}
std::string reason(int error) {
  return std::generic_category().message(error);
}

class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  ~FileDescriptor() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  FileDescriptor(FileDescriptor&& other) noexcept : m_fd(other.release()) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }

private:
  int m_fd;
};

// A symlink planted by whoever can write the document root must not steer our
// (often root) writes elsewhere; one the admin made, like a shared challenge
// directory, is honoured as certbot honours it.
void check_symlink_owner(int parent, const char* name, const fs::path& path,
                         const std::string& domain) {
  struct stat link {};
  if (fstatat(parent, name, &link, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(link.st_mode)) {
    return;
  }
  if (link.st_uid != geteuid() && link.st_uid != 0) {
    throw ChallengeError(
        fmt::format("refusing to follow {} for {}: it is a symlink owned by another user (uid {})",
                    shown_path(path), shown(domain), link.st_uid));
  }
}

// Opens directory name under parent, creating it 0755 when missing (recorded in created).
FileDescriptor open_or_create_dir(int parent, const char* name, const fs::path& path,
                                  const std::string& domain, std::vector<fs::path>& created) {
  bool made = false;
  if (mkdirat(parent, name, 0755) == 0) {
    made = true;
    created.push_back(path);
  } else if (errno != EEXIST) {
    throw ChallengeError(
        fmt::format("cannot create {} for {}: {}", shown_path(path), shown(domain), reason(errno)));
  }
  check_symlink_owner(parent, name, path, domain);
  FileDescriptor dir(openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) {
    throw ChallengeError(
        fmt::format("cannot open {} for {}: {}", shown_path(path), shown(domain), reason(errno)));
  }
  // mkdirat honours the umask; the web server must still be able to read it.
  if (made && fchmod(dir.get(), 0755) != 0) {
    throw ChallengeError(fmt::format("cannot set mode of {} for {}: {}", shown_path(path),
                                     shown(domain), reason(errno)));
  }
  return dir;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::system_error(errno, std::generic_category());
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Writes a temp file that cannot be a pre-planted link (O_EXCL|O_NOFOLLOW), then
// renames it over the token's name, so the web server never sees a partial file.
void write_token_file(int dir, const fs::path& dir_path, const Task& task) {
  static std::atomic<unsigned> counter{0};
  const fs::path target = dir_path / task.token;
  std::string temp_name;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp_name = fmt::format(".{}.certsmith-{}-{}", task.token, getpid(), counter++);
    fd = openat(dir, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) {
      break;
    }
  }
  if (fd < 0) {
    throw ChallengeError(fmt::format("cannot write {} for {}: {}", shown_path(target),
                                     shown(task.identifier), reason(errno)));
  }
  FileDescriptor file(fd);
  try {
    if (fchmod(file.get(), 0644) != 0) {
      throw std::system_error(errno, std::generic_category());
    }
    write_all(file.get(), task.key_authorization);
    if (::close(file.release()) != 0) {
      throw std::system_error(errno, std::generic_category());
    }
    if (renameat(dir, temp_name.c_str(), dir, task.token.c_str()) != 0) {
      throw std::system_error(errno, std::generic_category());
    }
  } catch (const std::system_error& error) {
    unlinkat(dir, temp_name.c_str(), 0);
    throw ChallengeError(fmt::format("cannot write {} for {}: {}", shown_path(target),
                                     shown(task.identifier), reason(error.code().value())));
  }
}

void warn(const std::string& message) noexcept {
  try {
    util::log_warning("{}", message);
  } catch (...) {
  }
}

// Parallel renewals may share a webroot: one solver's cleanup must not remove
// .well-known/acme-challenge between another's opening it and writing its file.
std::mutex& webroot_tree_mutex() {
  static std::mutex mutex;
  return mutex;
}

} // namespace

Http01WebrootSolver::Http01WebrootSolver(std::map<std::string, fs::path> webroot_map)
    : m_webroot_map(std::move(webroot_map)) {}

void Http01WebrootSolver::perform(const std::vector<Task>& tasks) {
  // Everything is checked first: a refused task must leave no file behind.
  for (const Task& task : tasks) {
    if (task.type != "http-01") {
      throw ChallengeError(fmt::format("http-01 webroot solver cannot answer a {} challenge for {}",
                                       shown(task.type), shown(task.identifier)));
    }
    if (!crypto::is_base64url(task.token)) {
      throw ChallengeError(fmt::format("refusing http-01 token \"{}\" for {}: not base64url",
                                       util::escape_untrusted(task.token, 80),
                                       shown(task.identifier)));
    }
    const auto webroot = m_webroot_map.find(task.identifier);
    if (webroot == m_webroot_map.end()) {
      throw ChallengeError(fmt::format("no webroot for {} (give -w DIR before -d {})",
                                       shown(task.identifier), shown(task.identifier)));
    }
    std::error_code error;
    if (!fs::is_directory(webroot->second, error)) {
      throw ChallengeError(fmt::format("webroot {} for {} is not a directory",
                                       shown_path(webroot->second), shown(task.identifier)));
    }
  }
  std::lock_guard lock(webroot_tree_mutex());
  for (const Task& task : tasks) {
    const fs::path& webroot = m_webroot_map.at(task.identifier);
    FileDescriptor root(open(webroot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0) {
      throw ChallengeError(fmt::format("cannot open webroot {} for {}: {}", shown_path(webroot),
                                       shown(task.identifier), reason(errno)));
    }
    const fs::path well_known_path = webroot / k_well_known;
    const fs::path challenge_path = well_known_path / k_acme_challenge;
    const FileDescriptor well_known = open_or_create_dir(root.get(), k_well_known, well_known_path,
                                                         task.identifier, m_created_dirs);
    const FileDescriptor challenge_dir = open_or_create_dir(
        well_known.get(), k_acme_challenge, challenge_path, task.identifier, m_created_dirs);
    write_token_file(challenge_dir.get(), challenge_path, task);
    m_written_files.push_back(challenge_path / task.token);
  }
}

void Http01WebrootSolver::cleanup(const std::vector<Task>& tasks) noexcept {
  std::lock_guard lock(webroot_tree_mutex());
  for (const Task& task : tasks) {
    const auto webroot = m_webroot_map.find(task.identifier);
    if (webroot == m_webroot_map.end() || !crypto::is_base64url(task.token)) {
      continue;
    }
    const fs::path file = webroot->second / k_well_known / k_acme_challenge / task.token;
    const auto written = std::find(m_written_files.begin(), m_written_files.end(), file);
    if (written == m_written_files.end()) {
      continue;
    }
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      warn(fmt::format("cannot remove {}: {}", shown_path(file), reason(errno)));
    }
    m_written_files.erase(written);
  }
  // Deepest first; a directory still holding other files (another lineage's,
  // the admin's) stays, and stays on the list for a later cleanup.
  for (auto dir = m_created_dirs.rbegin(); dir != m_created_dirs.rend();) {
    if (::rmdir(dir->c_str()) == 0 || errno == ENOENT) {
      dir = std::make_reverse_iterator(m_created_dirs.erase(std::next(dir).base()));
    } else {
      if (errno != ENOTEMPTY && errno != EEXIST) {
        warn(fmt::format("cannot remove {}: {}", shown_path(*dir), reason(errno)));
      }
      ++dir;
    }
  }
}

} // namespace certsmith::challenge
