#include "challenge/token_dir.hpp"

#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <limits>
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
// `certsmith serve`'s pid, for ServeHeartbeat and served_by_live_process.
constexpr const char* k_heartbeat_name = ".serve.pid";

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

// Opened without following a final symlink: the directory checked is the one used.
Fd open_dir_nofollow(const fs::path& path) {
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() >= 0)
    return dir;
  const int error = errno;
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
    throw ChallengeError(fmt::format(
        "refusing token directory {}: it is a symlink; give the directory it points to instead",
        shown_path(path)));
  if (error == ENOTDIR)
    throw ChallengeError(fmt::format("token directory {} is not a directory", shown_path(path)));
  throw ChallengeError(
      fmt::format("cannot open token directory {}: {}", shown_path(path), reason(error)));
}

// Whoever can add a file here can have serve answer the token of their own
// order, so only we (or root) may: owner us or root, no group/other write bit.
void check_dir(int dir, const fs::path& path) {
  struct stat info {};
  if (::fstat(dir, &info) != 0)
    throw ChallengeError(
        fmt::format("cannot inspect token directory {}: {}", shown_path(path), reason(errno)));
  const uid_t me = ::geteuid();
  const bool foreign_owner = info.st_uid != me && info.st_uid != 0;
  const bool others_write = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (!foreign_owner && !others_write)
    return;
  std::string fix;
  if (foreign_owner)
    fix = fmt::format("chown {} {}", me, shown_path(path));
  if (others_write)
    fix += fmt::format("{}chmod go-w {}", fix.empty() ? "" : " && ", shown_path(path));
  throw ChallengeError(fmt::format(
      "refusing token directory {}: owned by uid {} with mode {:04o}, so another user could plant "
      "tokens there; it must be owned by you (uid {}) or root and writable by no one else: {}",
      shown_path(path), info.st_uid, info.st_mode & 07777, me, fix));
}

Fd open_checked_dir(const fs::path& path) {
  Fd dir = open_dir_nofollow(path);
  check_dir(dir.get(), path);
  return dir;
}

// Writes dir/name atomically: a temp file opened O_EXCL|O_NOFOLLOW, mode 0644,
// renamed over the name, so a symlink planted there is replaced, never followed.
// Temp names start with '.', which base64url never holds: serve never answers them.
void write_file(int dir, const std::string& name, std::string_view content) {
  static std::atomic<unsigned> counter{0};
  std::string temp_name;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp_name = fmt::format(".{}.certsmith-{}-{}", name, getpid(), counter++);
    fd = ::openat(dir, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0644);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    throw std::system_error(errno, std::generic_category());
  Fd file(fd);
  try {
    if (::fchmod(file.get(), 0644) != 0)
      throw std::system_error(errno, std::generic_category());
    write_all(file.get(), content);
    if (::close(file.release()) != 0)
      throw std::system_error(errno, std::generic_category());
    if (::renameat(dir, temp_name.c_str(), dir, name.c_str()) != 0)
      throw std::system_error(errno, std::generic_category());
  } catch (const std::system_error&) {
    ::unlinkat(dir, temp_name.c_str(), 0);
    throw;
  }
}

// dir/name when it is a regular file (not followed if a symlink) of at most
// k_max_file_size bytes. O_NONBLOCK: a FIFO planted there must not hang us.
std::optional<std::string> read_file(int dir, const std::string& name) {
  const Fd file(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0)
    return std::nullopt;
  struct stat info {};
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > k_max_file_size)
    return std::nullopt;
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
}

// The pid a heartbeat file holds: decimal digits and an optional newline, > 0.
std::optional<pid_t> parse_pid(std::string_view text) {
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value <= 0 ||
      value > std::numeric_limits<pid_t>::max())
    return std::nullopt;
  return static_cast<pid_t>(value);
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
    const Fd dir = open_dir_nofollow(m_path);
    if (::fchmod(dir.get(), 0755) != 0)
      throw ChallengeError(fmt::format("cannot set mode of token directory {}: {}",
                                       shown_path(m_path), reason(errno)));
    check_dir(dir.get(), m_path);
    return;
  }
  if (errno != EEXIST)
    throw ChallengeError(
        fmt::format("cannot create token directory {}: {}", shown_path(m_path), reason(errno)));
  open_checked_dir(m_path);
}

void TokenDir::write(const std::string& token, const std::string& key_authorization) const {
  if (!acceptable_token(token))
    throw ChallengeError(fmt::format("refusing http-01 token \"{}\": not base64url",
                                     util::escape_untrusted(token, 80)));
  const Fd dir = open_checked_dir(m_path);
  try {
    write_file(dir.get(), token, key_authorization);
  } catch (const std::system_error& error) {
    throw ChallengeError(fmt::format("cannot write {}: {}", shown_path(m_path / token),
                                     reason(error.code().value())));
  }
}

void TokenDir::remove(const std::string& token) const noexcept {
  if (!acceptable_token(token))
    return;
  try {
    const Fd dir = open_checked_dir(m_path);
    if (::unlinkat(dir.get(), token.c_str(), 0) != 0 && errno != ENOENT)
      util::log_warning("cannot remove {}: {}", shown_path(m_path / token), reason(errno));
  } catch (const std::exception& error) {
    try {
      util::log_warning("cannot remove {}: {}", shown_path(m_path / token), error.what());
    } catch (...) {
    }
  }
}

std::optional<std::string> TokenDir::read(std::string_view token) const noexcept {
  if (!acceptable_token(token))
    return std::nullopt;
  try {
    const Fd dir = open_checked_dir(m_path);
    return read_file(dir.get(), std::string(token));
  } catch (...) {
    return std::nullopt;
  }
}

bool TokenDir::served_by_live_process() const noexcept {
  try {
    const Fd dir = open_checked_dir(m_path);
    const std::optional<std::string> text = read_file(dir.get(), k_heartbeat_name);
    const std::optional<pid_t> pid = text ? parse_pid(*text) : std::nullopt;
    // EPERM: alive, run by another user (serve as root, renew as a user or the reverse).
    return pid && (::kill(*pid, 0) == 0 || errno == EPERM);
  } catch (...) {
    return false;
  }
}

ServeHeartbeat::ServeHeartbeat(TokenDir tokens) : m_tokens(std::move(tokens)) {
  const Fd dir = open_checked_dir(m_tokens.path());
  try {
    write_file(dir.get(), k_heartbeat_name, fmt::format("{}\n", getpid()));
  } catch (const std::system_error& error) {
    throw ChallengeError(fmt::format("cannot write {}: {}",
                                     shown_path(m_tokens.path() / k_heartbeat_name),
                                     reason(error.code().value())));
  }
}

ServeHeartbeat::~ServeHeartbeat() {
  try {
    // Only our own: a second serve started on the same directory wrote its pid over ours.
    const Fd dir = open_checked_dir(m_tokens.path());
    const std::optional<std::string> text = read_file(dir.get(), k_heartbeat_name);
    if (text && parse_pid(*text) == getpid())
      ::unlinkat(dir.get(), k_heartbeat_name, 0);
  } catch (...) {
  }
}

} // namespace certsmith::challenge
