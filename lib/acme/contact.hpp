#pragma once
// RFC 8555 §7.3 account contacts from the command line's -m.

#include <string>
#include <vector>

namespace certsmith::acme {

/// Check a comma-separated email list from the command line; returns
/// "mailto:" contacts (none for ""). Throws UsageError naming a bad address.
std::vector<std::string> contacts_from_email(const std::string& email);

} // namespace certsmith::acme
