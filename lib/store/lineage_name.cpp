#include "store/lineage_name.hpp"

#include "crypto/digest.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <system_error>

namespace certsmith::store {

namespace {

// Quote a hostile name for an error message without echoing control characters.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// NAME becomes renewal/NAME.conf: an existing lineage (certbot's too) can be
// addressed when that fits a file name's 255 bytes.
constexpr std::size_t k_max_cert_name_length = 250;
// The longest file name a new lineage gets is the conf's temp file
// ".NAME.conf.tmp.<up to 24 hex digits>" (atomic_file.hpp): 255 - 35 = 220.
constexpr std::size_t k_max_new_cert_name_length = 220;
// A chosen name leaves room for certbot's "-0001" suffix.
constexpr std::size_t k_counter_suffix_length = 5; // "-0001"
constexpr std::size_t k_max_chosen_base_length =
    k_max_new_cert_name_length - k_counter_suffix_length;
constexpr std::size_t k_short_hash_length = 8; // hex digits

// A first domain too long to be a lineage name: its start, and a hash of the
// whole so that two such domains with the same start get different names.
std::string shortened(const std::string& base) {
  std::size_t keep = k_max_chosen_base_length - 1 - k_short_hash_length;
  // Never cut a UTF-8 sequence in two (domains are ASCII, but be sure).
  while (keep > 0 && (static_cast<unsigned char>(base[keep]) & 0xC0) == 0x80)
    --keep;
  std::string hash = crypto::to_hex(crypto::sha256(base)).substr(0, k_short_hash_length);
  return fmt::format("{}-{}", base.substr(0, keep), hash);
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Names end up in paths and on terminals: stray bytes of another encoding are refused.
bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80                    ? 1
                         : byte >= 0xC2 && byte <= 0xDF ? 2
                         : byte >= 0xE0 && byte <= 0xEF ? 3
                         : byte >= 0xF0 && byte <= 0xF4 ? 4
                                                        : 0;
    if (length == 0 || i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
        return false;
    i += length;
  }
  return true;
}

bool taken(const TreePaths& paths, const std::string& name) {
  std::error_code ignored;
  return std::filesystem::exists(
             std::filesystem::symlink_status(paths.renewal_conf(name), ignored)) ||
         std::filesystem::exists(
             std::filesystem::symlink_status(paths.lineage_live_dir(name), ignored)) ||
         std::filesystem::exists(
             std::filesystem::symlink_status(paths.lineage_archive_dir(name), ignored));
}

} // namespace

void validate_cert_name(std::string_view name) {
  auto reject = [&](std::string_view why) {
    throw UsageError(fmt::format("invalid certificate name '{}': {}", printable(name), why));
  };
  if (name.empty()) {
    reject("it is empty");
  }
  if (name == "." || name == "..") {
    reject("it names a directory");
  }
  if (name.size() > k_max_cert_name_length) {
    reject(fmt::format("it is longer than {} characters", k_max_cert_name_length));
  }
  if (name.front() == '.' || name.front() == '-') {
    reject("it starts with '.' or '-'");
  }
  for (unsigned char c : name) {
    if (c == '/') {
      reject("it contains '/'");
    }
    if (c == 0) {
      reject("it contains a NUL byte");
    }
    if (c < 0x20 || c == 0x7f) {
      reject("it contains a control character");
    }
  }
  if (is_blank(name.front()) || is_blank(name.back())) {
    reject("it starts or ends with a space");
  }
  if (!is_valid_utf8(name)) {
    reject("it is not valid UTF-8");
  }
}

void validate_new_cert_name(std::string_view name) {
  validate_cert_name(name);
  if (name.size() > k_max_new_cert_name_length) {
    throw UsageError(fmt::format("invalid certificate name '{}': a new certificate's name may "
                                 "have at most {} characters",
                                 printable(name), k_max_new_cert_name_length));
  }
}

std::string choose_lineage_name(const TreePaths& paths, const std::string& first_domain) {
  std::string base = first_domain;
  if (base.starts_with("*.")) {
    base = base.substr(2);
  }
  if (base.size() > k_max_chosen_base_length) {
    base = shortened(base);
  }
  validate_new_cert_name(base);
  if (!taken(paths, base)) {
    return base;
  }
  for (int counter = 1; counter <= 9999; ++counter) {
    std::string candidate = fmt::format("{}-{:04d}", base, counter);
    validate_new_cert_name(candidate);
    if (!taken(paths, candidate)) {
      return candidate;
    }
  }
  throw StorageError(fmt::format("no free certificate name left for {}", printable(base)));
}

} // namespace certsmith::store
