#include "crypto/openssl_handles.hpp"

#include "util/error.hpp"

#include <climits>
#include <openssl/err.h>

namespace certsmith::crypto::detail {

void throw_crypto_error(const std::string& what) {
  // The first queued error is the root cause; later ones are the call chain.
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    throw CryptoError(what);
  }
  const char* reason = ERR_reason_error_string(code);
  throw CryptoError(what + ": " + (reason != nullptr ? reason : "OpenSSL error"));
}

BioPtr memory_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) {
    throw CryptoError("input too large");
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) {
    throw_crypto_error("cannot allocate memory BIO");
  }
  return bio;
}

BioPtr output_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    throw_crypto_error("cannot allocate memory BIO");
  }
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) {
    return {};
  }
  return {data, static_cast<std::size_t>(size)};
}

int refuse_password(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user_data*/) {
  return -1;
}

} // namespace certsmith::crypto::detail
