#pragma once
// RFC 8555 §7.3 account contacts from the command line's -m.

#include <string>
#include <vector>

namespace certsmith::acme {

/// Check a comma-separated email list from the command line; returns
/// "mailto:" contacts in the order given, duplicates dropped (none for "").
/// Empty items are skipped as certbot skips them, and a "mailto:" the user
/// typed is accepted and not doubled. The local part is an RFC 5322 dot-atom
/// of at most 64 characters; the domain passes normalize_domain (an IDN
/// becomes punycode); the address is at most 254 characters. Throws
/// UsageError naming the bad address and what is wrong with it.
std::vector<std::string> contacts_from_email(const std::string& email);

} // namespace certsmith::acme
