#pragma once
// Revocation reasons by their RFC 5280 §5.3.1 names: every code RFC 8555 §7.6
// lets a client send (0-6, 8-10; 7 is unused), not only certbot's five.

#include <string>
#include <string_view>

namespace certsmith::issuance {

/// The code of a reason name, case-insensitive ("keyCompromise" -> 1).
/// Throws UsageError listing every accepted name for anything else.
int parse_revocation_reason(std::string_view name);

/// The lower-case name of a reason code ("keycompromise"); "reason N" for others.
std::string revocation_reason_name(int code);

} // namespace certsmith::issuance
