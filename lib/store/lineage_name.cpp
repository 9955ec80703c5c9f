#include "store/lineage_name.hpp"

#include "util/error.hpp"

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
  // renewal/NAME.conf must fit in one path component too.
  if (name.size() > 250) {
    reject("it is longer than 250 characters");
  }
  if (name.front() == '.' || name.front() == '-') {
    reject("it starts with '.' or '-'");
  }
  for (unsigned char c : name) {
    if (c == '/') {
      reject("it contains '/'");
    }
    if (c < 0x20 || c == 0x7f) {
      reject("it contains a control character");
    }
  }
}

std::string choose_lineage_name(const TreePaths& paths, const std::string& first_domain) {
  std::string base = first_domain;
  if (base.starts_with("*.")) {
    base = base.substr(2);
  }
  validate_cert_name(base);
  if (!taken(paths, base)) {
    return base;
  }
  for (int counter = 1; counter <= 9999; ++counter) {
    std::string candidate = fmt::format("{}-{:04d}", base, counter);
    validate_cert_name(candidate);
    if (!taken(paths, candidate)) {
      return candidate;
    }
  }
  throw StorageError(fmt::format("no free certificate name left for {}", printable(base)));
}

} // namespace certsmith::store
