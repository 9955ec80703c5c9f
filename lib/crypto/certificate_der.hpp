#pragma once
// The DER form of a certificate, as RFC 8555 §7.6 revocation sends it.

#include <string>
#include <string_view>

namespace certsmith::crypto {

/// DER encoding of the certificate in `pem_or_der`: the first certificate when
/// it is PEM (a cert.pem or a fullchain.pem); otherwise, as certbot falls back
/// to, one DER certificate that must be the whole input. Throws CryptoError
/// when it is neither.
std::string certificate_der(std::string_view pem_or_der);

/// PEM form of one DER certificate (the whole input), for the readers that take
/// PEM. Throws CryptoError when der is not exactly one certificate.
std::string certificate_pem_from_der(std::string_view der);

} // namespace certsmith::crypto
