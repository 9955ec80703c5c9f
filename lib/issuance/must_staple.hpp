#pragma once
// --must-staple (RFC 7633 TLS Feature status_request) outlived the OCSP it
// depends on at Let's Encrypt: it shut OCSP down in 2025 and refuses
// Must-Staple orders. certsmith still asks, but says so first.

#include <string>
#include <string_view>

namespace certsmith::issuance {

/// True when server is a Let's Encrypt ACME directory (production or staging).
bool is_lets_encrypt(std::string_view server);

/// The one-line warning printed before ordering a Must-Staple certificate from
/// server: a refusal foretold for Let's Encrypt, a caution for other CAs.
std::string must_staple_warning(std::string_view server);

} // namespace certsmith::issuance
