#include "issuance/fallback.hpp"

#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"
#include "crypto/self_signed.hpp"
#include "issuance/issue_lineage.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::issuance {

namespace {

constexpr std::string_view k_bootstrap = "self-signed-bootstrap";
constexpr std::string_view k_self_signed_fallback = "self-signed-fallback";
constexpr std::string_view k_user_fallback = "user-fallback";

// A certificate chain or key is a few kilobytes; anything larger is not one.
constexpr off_t k_max_fallback_file = 1 << 20;

std::string shown(const std::string& path) {
  return util::escape_untrusted(path, 200);
}

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

// RFC 6125 §6.4.3 as browsers apply it: "*." stands for exactly one leftmost label.
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

struct UserFallback {
  store::CertificateFiles files;
  std::chrono::system_clock::time_point not_after;
};

// The user's fallback, checked: parses, matches its key, covers every name,
// not expired. Throws UsageError naming the file.
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
  if (fallback.files.chain_pem.empty()) // a self-signed one is its own issuer
    fallback.files.chain_pem = fallback.files.cert_pem;
  fallback.files.fullchain_pem = fallback.files.cert_pem + fallback.files.chain_pem;
  fallback.files.privkey_pem = key_pem;
  fallback.not_after = facts.not_after;
  return fallback;
}

store::CertificateFiles self_signed_files(const std::vector<acme::Identifier>& identifiers,
                                          const store::RenewalParams& params,
                                          std::string organization,
                                          std::chrono::system_clock::time_point now) {
  crypto::PrivateKey key = crypto::PrivateKey::generate(key_spec_of(params));
  crypto::SelfSignedRequest request;
  for (const auto& identifier : identifiers)
    (identifier.type == "ip" ? request.ip_addresses : request.dns_names)
        .push_back(identifier.value);
  request.organization = std::move(organization);
  // An hour back: a client whose clock is a little behind still accepts it.
  request.not_before = now - std::chrono::hours(1);
  request.not_after = now + k_self_signed_validity;
  store::CertificateFiles files;
  files.cert_pem = crypto::make_self_signed_certificate(key, request);
  // The tree keeps chain.pem non-empty and fullchain.pem = cert + chain: a
  // self-signed certificate is its own issuer, so it is its own chain.
  files.chain_pem = files.cert_pem;
  files.fullchain_pem = files.cert_pem + files.chain_pem;
  files.privkey_pem = key.to_pem();
  return files;
}

std::vector<std::string> values_of(const std::vector<acme::Identifier>& identifiers) {
  std::vector<std::string> values;
  for (const auto& identifier : identifiers)
    values.push_back(identifier.value);
  return values;
}

} // namespace

LiveKind live_kind_of(const store::RenewalParams& params) {
  const std::string& kind = params.certsmith_live_kind;
  if (kind.empty())
    return LiveKind::real;
  if (kind == k_bootstrap)
    return LiveKind::self_signed_bootstrap;
  if (kind == k_self_signed_fallback)
    return LiveKind::self_signed_fallback;
  return LiveKind::user_fallback;
}

std::string_view live_kind_name(LiveKind kind) {
  switch (kind) {
  case LiveKind::self_signed_bootstrap:
    return k_bootstrap;
  case LiveKind::self_signed_fallback:
    return k_self_signed_fallback;
  case LiveKind::user_fallback:
    return k_user_fallback;
  default:
    return "real";
  }
}

std::string_view live_kind_label(LiveKind kind) {
  switch (kind) {
  case LiveKind::self_signed_bootstrap:
    return "self-signed bootstrap";
  case LiveKind::self_signed_fallback:
    return "self-signed fallback";
  case LiveKind::user_fallback:
    return "user fallback";
  default:
    return "real";
  }
}

bool placeholder_is_live(const store::RenewalParams& params) {
  return live_kind_of(params) != LiveKind::real;
}

void record_fallback_settings(store::RenewalParams& params, const FallbackOptions& options,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point now) {
  if (options.fallback_cert.empty() != options.fallback_key.empty())
    throw UsageError("--fallback-cert and --fallback-key go together");
  if (options.fallback_self_signed)
    params.certsmith_fallback_self_signed = true;
  if (options.fallback_cert.empty())
    return;
  load_user_fallback(options.fallback_cert, options.fallback_key, identifiers, now);
  // Renewal runs from a timer in another directory: keep the files it named.
  params.certsmith_fallback_cert =
      std::filesystem::absolute(options.fallback_cert).lexically_normal().string();
  params.certsmith_fallback_key =
      std::filesystem::absolute(options.fallback_key).lexically_normal().string();
}

store::Lineage create_bootstrap_lineage(const store::TreePaths& paths, const std::string& name,
                                        const std::vector<acme::Identifier>& identifiers,
                                        store::RenewalParams params,
                                        std::chrono::system_clock::time_point now) {
  store::CertificateFiles files =
      self_signed_files(identifiers, params, "certsmith self-signed bootstrap", now);
  params.certsmith_live_kind = k_bootstrap;
  params.certsmith_names = values_of(identifiers);
  util::log_info("Wrote a self-signed bootstrap certificate for {} (valid {} days); it is "
                 "replaced when the CA issues the real one.",
                 name, k_self_signed_validity.count() / 24);
  return store::create_lineage(paths, name, files, params);
}

std::vector<acme::Identifier> identifiers_to_renew(const store::RenewalParams& params,
                                                   std::vector<acme::Identifier> live) {
  if (!placeholder_is_live(params) || params.certsmith_names.empty())
    return live;
  std::vector<std::string> dns, ips;
  for (const auto& value : params.certsmith_names)
    (value.find(':') != std::string::npos ||
             value.find_first_not_of("0123456789.") == std::string::npos
         ? ips
         : dns)
        .push_back(value);
  try {
    return acme::make_identifiers(dns, ips);
  } catch (const Error& error) {
    util::log_warning("ignoring certsmith_names in the renewal conf: {}", error.what());
    return live;
  }
}

std::optional<std::string>
switch_to_fallback_if_expired(store::Lineage& lineage,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point live_not_after,
                              std::chrono::system_clock::time_point now) {
  store::RenewalParams params = lineage.params();
  bool user = !params.certsmith_fallback_cert.empty() && !params.certsmith_fallback_key.empty();
  bool self_signed = params.certsmith_fallback_self_signed.value_or(false);
  if ((!user && !self_signed) || live_not_after > now)
    return std::nullopt;
  std::optional<store::CertificateFiles> files;
  if (user) {
    try {
      files = load_user_fallback(params.certsmith_fallback_cert, params.certsmith_fallback_key,
                                 identifiers, now)
                  .files;
      params.certsmith_live_kind = k_user_fallback;
    } catch (const UsageError& error) {
      if (!self_signed)
        throw UsageError(fmt::format("the fallback certificate cannot be used: {}", error.what()));
      util::log_warning("{}: the fallback certificate cannot be used ({}); using a self-signed "
                        "one",
                        lineage.name(), error.what());
    }
  }
  if (!files) {
    files = self_signed_files(identifiers, params, "certsmith self-signed fallback", now);
    params.certsmith_live_kind = k_self_signed_fallback;
  }
  params.certsmith_names = values_of(identifiers);
  int version = store::save_successor(lineage, *files, params);
  return fmt::format("the certificate has expired: live/ now serves a {} certificate (version {}) "
                     "until renewal succeeds",
                     live_kind_label(live_kind_of(params)), version);
}

} // namespace certsmith::issuance
