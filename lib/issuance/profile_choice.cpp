#include "issuance/profile_choice.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

std::string offered_profiles(const acme::Directory& directory) {
  if (directory.profiles.empty())
    return "the CA offers no profiles";
  std::string names;
  for (const auto& [name, description] : directory.profiles)
    names += (names.empty() ? "" : ", ") + name;
  return "offered: " + names;
}

} // namespace

std::string choose_profile(const acme::Directory& directory, const std::string& preferred,
                           const std::string& required) {
  if (!required.empty()) {
    if (directory.profiles.contains(required))
      return required;
    throw UsageError(fmt::format("the CA does not offer the certificate profile '{}' that "
                                 "--required-profile asks for ({})",
                                 util::escape_untrusted(required, 100),
                                 offered_profiles(directory)));
  }
  if (preferred.empty() || directory.profiles.contains(preferred))
    return preferred;
  util::log_warning("the CA does not offer the certificate profile '{}' ({}); using its default "
                    "profile",
                    util::escape_untrusted(preferred, 100), offered_profiles(directory));
  return {};
}

} // namespace certsmith::issuance
