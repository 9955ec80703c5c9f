#pragma once
// RFC 7515 §2 / RFC 4648 §5: base64url without padding, as JOSE and ACME use it.

#include <optional>
#include <string>
#include <string_view>

namespace certsmith::crypto {

/// Encode bytes as base64url with no '=' padding.
std::string base64url_encode(std::string_view bytes);

/// Decode unpadded base64url; std::nullopt for any character outside the alphabet,
/// for padding, or for an impossible length (len % 4 == 1).
std::optional<std::string> base64url_decode(std::string_view text);

/// True when text is non-empty and uses only [A-Za-z0-9_-]. ACME tokens must pass
/// this before they name a file (RFC 8555 §8.3: token is base64url).
bool is_base64url(std::string_view text);

} // namespace certsmith::crypto
