#include "notify/senders.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::notify {

namespace {

constexpr std::size_t k_max_file_size = 64 * 1024;

std::string trimmed(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return "";
  auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

} // namespace

SmtpCredentials read_smtp_credentials(const std::filesystem::path& path) {
  auto fail = [&](const std::string& problem) -> void {
    throw UsageError(fmt::format("SMTP credentials file {}: {}",
                                 util::escape_untrusted(path.string(), 512), problem));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    fail(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    fail(std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    fail("not a regular file");
  // A password others can read is refused before anything is sent (as the
  // RFC 2136 credentials are).
  if ((info.st_mode & 077) != 0)
    fail(fmt::format("it is accessible by group or others (mode {:04o}); chmod 600 it",
                     info.st_mode & 07777));
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      fail(std::strerror(errno));
    if (got == 0)
      break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > k_max_file_size)
      fail(fmt::format("larger than {} bytes", k_max_file_size));
  }
  SmtpCredentials credentials;
  std::istringstream lines(content);
  std::string line;
  while (std::getline(lines, line)) {
    std::string text = trimmed(line);
    if (text.empty() || text[0] == '#' || text[0] == ';')
      continue;
    auto equals = text.find('=');
    if (equals == std::string::npos)
      fail(fmt::format("line '{}' is not key = value", util::escape_untrusted(text, 40)));
    std::string key = trimmed(text.substr(0, equals));
    std::string value = trimmed(text.substr(equals + 1));
    if (key == "smtp_username")
      credentials.username = value;
    else if (key == "smtp_password")
      credentials.password = value;
  }
  if (credentials.username.empty() || credentials.password.empty())
    fail("needs smtp_username and smtp_password");
  return credentials;
}

} // namespace certsmith::notify
