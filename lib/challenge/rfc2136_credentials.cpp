// certbot-dns-rfc2136's credentials file: `key = value` lines as configobj
// reads them, holding a TSIG secret, so it must be private to its owner.

#include "challenge/dns01_rfc2136.hpp"
#include "dns/dns_client.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::challenge {

namespace {

constexpr std::size_t k_max_file_size = 64 * 1024;
constexpr const char* k_prefix = "dns_rfc2136_";

// certbot's ALGORITHMS table, matched case-insensitively as certbot does.
constexpr const char* k_algorithms[] = {"hmac-md5",    "hmac-sha1",   "hmac-sha224",
                                        "hmac-sha256", "hmac-sha384", "hmac-sha512"};
// Names certbot accepts that ldns 1.8.3 cannot sign with: refused here, with
// the alternatives named, rather than failing later at the first update.
constexpr const char* k_unsigned_algorithms[] = {"hmac-sha224", "hmac-sha384"};
// certbot-dns-rfc2136 signs with HMAC-MD5 when the file names no algorithm.
constexpr const char* k_default_algorithm = "hmac-md5";

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 100);
}

class CredentialsFile {
public:
  explicit CredentialsFile(const std::filesystem::path& path) : m_path(path) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw UsageError(fmt::format("RFC 2136 credentials file {}: {}",
                                 util::escape_untrusted(m_path.string(), 512), problem));
  }

  std::string read() const {
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      fail(std::strerror(errno));
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      fail(std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
      fail("not a regular file");
    }
    // certbot only warns; a secret others can read (or a server others can
    // redirect) is refused before anything is sent.
    if ((info.st_mode & 077) != 0) {
      fail(fmt::format("it is accessible by group or others (mode {:04o}); chmod 600 it",
                       info.st_mode & 07777));
    }
    if (static_cast<std::size_t>(info.st_size) > k_max_file_size) {
      fail(fmt::format("larger than {} bytes", k_max_file_size));
    }
    std::string content;
    char buffer[4096];
    for (;;) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0) {
        fail(std::strerror(errno));
      }
      if (got == 0) {
        return content;
      }
      content.append(buffer, static_cast<std::size_t>(got));
      if (content.size() > k_max_file_size) {
        fail(fmt::format("larger than {} bytes", k_max_file_size));
      }
    }
  }

  // configobj's dialect as far as certbot's files use it: `key = value`,
  // whole-line and trailing `#` comments, values optionally quoted.
  std::map<std::string, std::string> parse(const std::string& content) const {
    if (content.find('\0') != std::string::npos) {
      fail("it contains a NUL byte");
    }
    std::map<std::string, std::string> values;
    std::size_t line_number = 0;
    for (std::size_t start = 0; start <= content.size();) {
      auto end = content.find('\n', start);
      if (end == std::string::npos) {
        end = content.size();
      }
      std::string line = trimmed(content.substr(start, end - start));
      start = end + 1;
      ++line_number;
      if (line.empty() || line.front() == '#') {
        continue;
      }
      const auto equals = line.find('=');
      if (equals == std::string::npos) {
        fail(fmt::format("line {} is not `key = value`", line_number));
      }
      const std::string key = trimmed(line.substr(0, equals));
      if (key.empty()) {
        fail(fmt::format("line {} has no key", line_number));
      }
      const std::string value = unquoted(trimmed(line.substr(equals + 1)), line_number);
      if (!values.emplace(key, value).second) {
        fail(fmt::format("{} is set twice", shown(key)));
      }
    }
    return values;
  }

private:
  static std::string trimmed(std::string text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && is_space(text.back())) {
      text.pop_back();
    }
    std::size_t first = 0;
    while (first < text.size() && is_space(text[first])) {
      ++first;
    }
    return text.substr(first);
  }

  std::string unquoted(const std::string& text, std::size_t line_number) const {
    if (!text.empty() && (text.front() == '"' || text.front() == '\'')) {
      const auto close = text.find(text.front(), 1);
      const std::string rest = close == std::string::npos ? "" : trimmed(text.substr(close + 1));
      if (close == std::string::npos || !(rest.empty() || rest.front() == '#')) {
        fail(fmt::format("line {} has a badly quoted value", line_number));
      }
      return text.substr(1, close - 1);
    }
    return trimmed(text.substr(0, text.find('#')));
  }

  std::filesystem::path m_path;
};

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// A TSIG key name is a domain name: letters, digits, '-', '_' and '.' labels.
bool is_key_name(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

} // namespace

Rfc2136Credentials read_rfc2136_credentials(const std::filesystem::path& path) {
  const CredentialsFile file(path);
  const auto values = file.parse(file.read());
  const auto required = [&](const char* key) {
    const auto found = values.find(std::string(k_prefix) + key);
    if (found == values.end() || found->second.empty()) {
      file.fail(fmt::format("{}{} is missing", k_prefix, key));
    }
    return found->second;
  };
  const auto optional = [&](const char* key) {
    const auto found = values.find(std::string(k_prefix) + key);
    return found == values.end() ? std::string() : found->second;
  };

  Rfc2136Credentials credentials;
  credentials.server.address = required("server");
  if (!is_ip_address(credentials.server.address)) {
    file.fail(fmt::format("dns_rfc2136_server {} is not an IPv4 or IPv6 address (a host name is "
                          "not allowed)",
                          shown(credentials.server.address)));
  }
  const std::string port = optional("port");
  if (!port.empty()) {
    const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    const int number = digits ? std::stoi(port) : 0;
    if (number < 1 || number > 65535) {
      file.fail(fmt::format("dns_rfc2136_port {} is not a port number", shown(port)));
    }
    credentials.server.port = static_cast<std::uint16_t>(number);
  }

  credentials.key.name = required("name");
  if (!is_key_name(credentials.key.name)) {
    file.fail(
        fmt::format("dns_rfc2136_name {} is not a TSIG key name", shown(credentials.key.name)));
  }
  credentials.key.secret_base64 = required("secret");
  if (!dns::is_tsig_secret(credentials.key.secret_base64)) { // the rule ldns signs by
    file.fail(
        "dns_rfc2136_secret is not a base64 secret with its padding, as tsig-keygen prints it");
  }

  std::string algorithm = optional("algorithm");
  std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (algorithm.empty()) {
    algorithm = k_default_algorithm;
  }
  if (std::find(std::begin(k_unsigned_algorithms), std::end(k_unsigned_algorithms), algorithm) !=
      std::end(k_unsigned_algorithms)) {
    file.fail(fmt::format("dns_rfc2136_algorithm {} is not supported: the DNS library certsmith "
                          "signs with (ldns) cannot compute it; use HMAC-SHA256 or HMAC-SHA512",
                          shown(optional("algorithm"))));
  }
  if (std::find(std::begin(k_algorithms), std::end(k_algorithms), algorithm) ==
      std::end(k_algorithms)) {
    file.fail(fmt::format("unknown dns_rfc2136_algorithm {} (HMAC-MD5, HMAC-SHA1, HMAC-SHA256 "
                          "or HMAC-SHA512)",
                          shown(optional("algorithm"))));
  }
  credentials.key.algorithm = algorithm;
  return credentials;
}

} // namespace certsmith::challenge
