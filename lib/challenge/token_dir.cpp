#include "challenge/token_dir.hpp"

#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace certsmith::challenge {

namespace fs = std::filesystem;

namespace {

// A key authorization is token "." thumbprint: about 90 bytes. Anything much
// bigger was not written by us.
constexpr off_t k_max_file_size = 4096;
// A token becomes a file name: NAME_MAX bounds it.
constexpr std::size_t k_max_token_length = 255;

std::string shown_path(const fs::path& path) {
  return util::escape_untrusted(path.string(), 512);
}
std::string reason(int error) {
  return std::generic_category().message(error);
}

class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(other.release()) {}
  ~Fd() {
    if (m_fd >= 0)
      ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }

private:
  int m_fd;
};

bool acceptable_token(std::string_view token) {
  return !token.empty() && token.size() <= k_max_token_length && crypto::is_base64url(token);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR)
        continue;
      throw std::system_error(errno, std::generic_category());
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

Fd open_dir(const fs::path& path) {
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0)
    throw ChallengeError(
        fmt::format("cannot open token directory {}: {}", shown_path(path), reason(errno)));
  return dir;
}

} // namespace

fs::path default_token_dir(const fs::path& work_dir) {
  return work_dir / "http-01-tokens";
}

void TokenDir::ensure_exists() const {
  std::error_code error;
  if (m_path.has_parent_path())
    fs::create_directories(m_path.parent_path(), error);
  if (::mkdir(m_path.c_str(), 0755) == 0) {
    // mkdir honours the umask; the responder may run as another user.
    if (::chmod(m_path.c_str(), 0755) != 0)
      throw ChallengeError(fmt::format("cannot set mode of token directory {}: {}",
                                       shown_path(m_path), reason(errno)));
    return;
  }
  if (errno != EEXIST)
    throw ChallengeError(
        fmt::format("cannot create token directory {}: {}", shown_path(m_path), reason(errno)));
  struct stat link {};
  if (::lstat(m_path.c_str(), &link) == 0 && S_ISLNK(link.st_mode) && link.st_uid != geteuid() &&
      link.st_uid != 0)
    throw ChallengeError(
        fmt::format("refusing token directory {}: it is a symlink owned by another user (uid {})",
                    shown_path(m_path), link.st_uid));
  struct stat target {};
  if (::stat(m_path.c_str(), &target) != 0 || !S_ISDIR(target.st_mode))
    throw ChallengeError(fmt::format("token directory {} is not a directory", shown_path(m_path)));
}

void TokenDir::write(const std::string& token, const std::string& key_authorization) const {
  if (!acceptable_token(token))
    throw ChallengeError(fmt::format("refusing http-01 token \"{}\": not base64url",
                                     util::escape_untrusted(token, 80)));
  static std::atomic<unsigned> counter{0};
  const fs::path target = m_path / token;
  const Fd dir = open_dir(m_path);
  // Temp names start with '.', which base64url never holds: serve never answers them.
  std::string temp_name;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp_name = fmt::format(".{}.certsmith-{}-{}", token, getpid(), counter++);
    fd = ::openat(dir.get(), temp_name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    throw ChallengeError(fmt::format("cannot write {}: {}", shown_path(target), reason(errno)));
  Fd file(fd);
  try {
    if (::fchmod(file.get(), 0644) != 0)
      throw std::system_error(errno, std::generic_category());
    write_all(file.get(), key_authorization);
    if (::close(file.release()) != 0)
      throw std::system_error(errno, std::generic_category());
    if (::renameat(dir.get(), temp_name.c_str(), dir.get(), token.c_str()) != 0)
      throw std::system_error(errno, std::generic_category());
  } catch (const std::system_error& error) {
    ::unlinkat(dir.get(), temp_name.c_str(), 0);
    throw ChallengeError(
        fmt::format("cannot write {}: {}", shown_path(target), reason(error.code().value())));
  }
}

void TokenDir::remove(const std::string& token) const noexcept {
  if (!acceptable_token(token))
    return;
  const fs::path file = m_path / token;
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    try {
      util::log_warning("cannot remove {}: {}", shown_path(file), reason(errno));
    } catch (...) {
    }
  }
}

std::optional<std::string> TokenDir::read(std::string_view token) const noexcept {
  if (!acceptable_token(token))
    return std::nullopt;
  const Fd dir(::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0)
    return std::nullopt;
  const std::string name(token);
  // O_NONBLOCK: a FIFO planted under a token's name must not hang the responder.
  const Fd file(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0)
    return std::nullopt;
  struct stat info {};
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > k_max_file_size)
    return std::nullopt;
  try {
    std::string content(static_cast<std::size_t>(k_max_file_size) + 1, '\0');
    std::size_t filled = 0;
    while (filled < content.size()) {
      const ssize_t got = ::read(file.get(), content.data() + filled, content.size() - filled);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        return std::nullopt;
      if (got == 0)
        break;
      filled += static_cast<std::size_t>(got);
    }
    if (filled > static_cast<std::size_t>(k_max_file_size))
      return std::nullopt;
    content.resize(filled);
    return content;
  } catch (...) {
    return std::nullopt;
  }
}

} // namespace certsmith::challenge
