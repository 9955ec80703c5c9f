#include "crypto/certificate_der.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <climits>
#include <openssl/err.h>
#include <openssl/pem.h>

namespace certsmith::crypto {

namespace {

// The certificate if `der` is one DER certificate and nothing else; null otherwise.
detail::X509Ptr parse_whole_der(std::string_view der) {
  if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX))
    return nullptr;
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = in + der.size();
  detail::X509Ptr certificate(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
  if (certificate && in != end) // trailing bytes: not a certificate file
    return nullptr;
  return certificate;
}

detail::X509Ptr parse_whole_der_or_throw(std::string_view der) {
  auto certificate = parse_whole_der(der);
  if (!certificate)
    detail::throw_crypto_error("cannot parse DER certificate");
  return certificate;
}

std::string encode_der(X509* certificate) {
  int length = i2d_X509(certificate, nullptr);
  if (length <= 0)
    detail::throw_crypto_error("cannot encode certificate as DER");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(certificate, &out) != length)
    detail::throw_crypto_error("cannot encode certificate as DER");
  return der;
}

} // namespace

std::string certificate_der(std::string_view pem_or_der) {
  auto bio = detail::memory_bio(pem_or_der);
  detail::X509Ptr certificate(
      PEM_read_bio_X509(bio.get(), nullptr, detail::refuse_password, nullptr));
  if (!certificate) {
    ERR_clear_error(); // the PEM attempt's failure is not the reason to report
    certificate = parse_whole_der(pem_or_der);
  }
  if (!certificate)
    detail::throw_crypto_error("cannot parse the certificate (neither PEM nor DER)");
  return encode_der(certificate.get());
}

std::string certificate_pem_from_der(std::string_view der) {
  auto certificate = parse_whole_der_or_throw(der);
  auto bio = detail::output_bio();
  if (PEM_write_bio_X509(bio.get(), certificate.get()) != 1)
    detail::throw_crypto_error("cannot encode certificate as PEM");
  return detail::bio_contents(bio.get());
}

} // namespace certsmith::crypto
