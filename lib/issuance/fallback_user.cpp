#include "issuance/fallback_user.hpp"

#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::issuance {

namespace {

std::string shown(const std::string& path) {
  return util::escape_untrusted(path, 200);
}

// A certificate chain or key is a few kilobytes; anything larger is not one.
constexpr off_t k_max_fallback_file = 1 << 20;

// The whole of a regular file of at most k_max_fallback_file bytes; the key
// (is_key) must not be readable by others, as certbot's privkey.pem is not.
std::string read_fallback_file(const std::string& path, bool is_key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    throw UsageError(fmt::format("{}: {}", shown(path), std::strerror(errno)));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    throw UsageError(fmt::format("{}: not a regular file", shown(path)));
  if (info.st_size > k_max_fallback_file)
    throw UsageError(fmt::format("{}: larger than {} bytes; not a certificate or key", shown(path),
                                 k_max_fallback_file));
  if (is_key && (info.st_mode & S_IROTH) != 0)
    throw UsageError(
        fmt::format("{}: the private key is readable by every user; chmod o-r it", shown(path)));
  std::string data(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t got = ::read(fd, data.data() + done, data.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      throw UsageError(fmt::format("{}: cannot read it", shown(path)));
    done += static_cast<std::size_t>(got);
  }
  return data;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

} // namespace

bool dns_name_covered(const std::vector<std::string>& held, const std::string& wanted) {
  std::string name = lower(wanted);
  for (const auto& entry : held) {
    std::string pattern = lower(entry);
    if (pattern == name)
      return true;
    if (pattern.starts_with("*.") && !name.starts_with("*.")) {
      auto dot = name.find('.');
      if (dot != std::string::npos && dot > 0 && name.substr(dot) == pattern.substr(1))
        return true;
    }
  }
  return false;
}

UserFallback load_user_fallback(const std::string& cert_path, const std::string& key_path,
                                const std::vector<acme::Identifier>& identifiers,
                                std::chrono::system_clock::time_point now) {
  std::string cert_text = read_fallback_file(cert_path, false);
  std::string key_text = read_fallback_file(key_path, true);
  std::vector<std::string> chain;
  crypto::CertificateFacts facts;
  try {
    chain = crypto::split_pem_chain(cert_text);
    facts = crypto::read_certificate(chain.front());
  } catch (const Error& error) {
    throw UsageError(fmt::format("{}: not a PEM certificate: {}", shown(cert_path), error.what()));
  }
  std::string key_pem;
  try {
    key_pem = crypto::PrivateKey::from_pem(key_text).to_pem();
  } catch (const Error& error) {
    throw UsageError(fmt::format("{}: not a private key: {}", shown(key_path), error.what()));
  }
  if (!crypto::certificate_matches_key(chain.front(), key_pem))
    throw UsageError(fmt::format("{} is not the key of {}", shown(key_path), shown(cert_path)));
  for (const auto& identifier : identifiers) {
    bool covered = identifier.type == "ip"
                       ? std::find(facts.ip_addresses.begin(), facts.ip_addresses.end(),
                                   identifier.value) != facts.ip_addresses.end()
                       : dns_name_covered(facts.dns_names, identifier.value);
    if (!covered)
      throw UsageError(fmt::format("{} does not cover {}", shown(cert_path), identifier.value));
  }
  if (facts.not_after <= now)
    throw UsageError(fmt::format("{} has expired", shown(cert_path)));
  UserFallback fallback;
  fallback.files.cert_pem = chain.front();
  for (std::size_t i = 1; i < chain.size(); ++i)
    fallback.files.chain_pem += chain[i];
  // fullchain is the leaf and the intermediates given; with none, the leaf alone
  // (a repeated leaf makes some TLS clients refuse the chain). chain.pem must
  // not be empty for certbot's readers: the leaf stands in.
  fallback.files.fullchain_pem = fallback.files.cert_pem + fallback.files.chain_pem;
  if (fallback.files.chain_pem.empty())
    fallback.files.chain_pem = fallback.files.cert_pem;
  fallback.files.privkey_pem = key_pem;
  fallback.not_after = facts.not_after;
  return fallback;
}

} // namespace certsmith::issuance
