#include "crypto/certificate_der.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <openssl/pem.h>

namespace certsmith::crypto {

std::string certificate_der(std::string_view pem) {
  auto bio = detail::memory_bio(pem);
  detail::X509Ptr certificate(
      PEM_read_bio_X509(bio.get(), nullptr, detail::refuse_password, nullptr));
  if (!certificate)
    detail::throw_crypto_error("cannot parse PEM certificate");
  int length = i2d_X509(certificate.get(), nullptr);
  if (length <= 0)
    detail::throw_crypto_error("cannot encode certificate as DER");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(certificate.get(), &out) != length)
    detail::throw_crypto_error("cannot encode certificate as DER");
  return der;
}

} // namespace certsmith::crypto
