#pragma once
// draft-aaron-acme-profiles (what Let's Encrypt runs): which profile, if any,
// a newOrder names, from what the directory's meta.profiles offers.

#include "acme/resources.hpp"

#include <string>

namespace certsmith::issuance {

/// The profile to send in newOrder; "" for the CA's default profile.
/// required (--required-profile) wins: offered, or UsageError before anything
/// is ordered. preferred (--preferred-profile): offered, or a warning and "".
std::string choose_profile(const acme::Directory& directory, const std::string& preferred,
                           const std::string& required);

} // namespace certsmith::issuance
