#pragma once
// The DER form of a certificate, as RFC 8555 §7.6 revocation sends it.

#include <string>
#include <string_view>

namespace certsmith::crypto {

/// DER encoding of the first certificate in pem (a cert.pem or a fullchain.pem).
/// Throws CryptoError when pem holds no complete, parseable certificate.
std::string certificate_der(std::string_view pem);

} // namespace certsmith::crypto
