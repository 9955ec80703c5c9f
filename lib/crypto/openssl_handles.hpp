#pragma once
// Internal to crypto/: owning handles for OpenSSL objects and error reporting.
// Only lib/crypto/*.cpp may include this; the public crypto headers stay free of
// OpenSSL types.

#include <memory>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <string_view>

namespace certsmith::crypto::detail {

/// Deleter calling an OpenSSL free function, for std::unique_ptr.
template <auto Free> struct Deleter {
  template <typename T> void operator()(T* object) const { Free(object); }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

/// Throw CryptoError("<what>: <first queued OpenSSL reason>") and clear the queue.
[[noreturn]] void throw_crypto_error(const std::string& what);

/// Read-only memory BIO over data (which must outlive the BIO).
BioPtr memory_bio(std::string_view data);

/// Fresh writable memory BIO.
BioPtr output_bio();

/// Everything written to a memory BIO so far.
std::string bio_contents(BIO* bio);

/// PEM password callback that refuses: encrypted PEM fails instead of prompting.
int refuse_password(char* buffer, int size, int rwflag, void* user_data);

} // namespace certsmith::crypto::detail
