#pragma once
// Message digests and MACs over OpenSSL EVP.

#include <string>
#include <string_view>

namespace certsmith::crypto {

/// Raw 32-byte SHA-256 of data.
std::string sha256(std::string_view data);

/// Lower-case hex of bytes.
std::string to_hex(std::string_view bytes);

/// Raw HMAC of data under key; algorithm is "SHA256", "SHA384" or "SHA512".
std::string hmac(std::string_view algorithm, std::string_view key, std::string_view data);

} // namespace certsmith::crypto
