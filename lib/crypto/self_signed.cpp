#include "crypto/self_signed.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <array>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace certsmith::crypto {

namespace {

using ExtensionPtr = std::unique_ptr<X509_EXTENSION, detail::Deleter<X509_EXTENSION_free>>;

// RFC 5280 ub-common-name.
constexpr std::size_t k_max_common_name = 64;

// The subjectAltName as OpenSSL's config syntax ("DNS:a,IP:1.2.3.4"): every
// byte is checked first, so no name can add an entry of its own.
std::string subject_alt_name_text(const SelfSignedRequest& request) {
  std::string text;
  auto add = [&text](const char* type, const std::string& value) {
    if (value.empty())
      throw CryptoError("self-signed certificate: empty name");
    for (char c : value) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_' || c == '*' || c == ':';
      if (!ok)
        throw CryptoError(fmt::format("self-signed certificate: invalid name '{}'", value));
    }
    text += fmt::format("{}{}:{}", text.empty() ? "" : ",", type, value);
  };
  for (const auto& name : request.dns_names)
    add("DNS", name);
  for (const auto& address : request.ip_addresses)
    add("IP", address);
  if (text.empty())
    throw CryptoError("self-signed certificate: no name to certify");
  return text;
}

void add_extension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
    detail::throw_crypto_error(fmt::format("self-signed certificate: cannot add {}", value));
}

void set_random_serial(X509* certificate) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    detail::throw_crypto_error("cannot draw a serial number");
  bytes[0] &= 0x7f; // positive (RFC 5280 §4.1.2.2)
  bytes[0] |= 0x01; // and never zero
  detail::BignumPtr serial(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr)
    detail::throw_crypto_error("cannot set a serial number");
}

void set_name(X509* certificate, const SelfSignedRequest& request) {
  std::string common_name =
      request.dns_names.empty() ? request.ip_addresses.front() : request.dns_names.front();
  if (common_name.size() > k_max_common_name)
    common_name.resize(k_max_common_name);
  X509_NAME* subject = X509_get_subject_name(certificate);
  auto bytes = [](const std::string& text) {
    return reinterpret_cast<const unsigned char*>(text.c_str());
  };
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, bytes(common_name), -1, -1, 0) !=
          1 ||
      (!request.organization.empty() &&
       X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, bytes(request.organization), -1, -1,
                                  0) != 1) ||
      X509_set_issuer_name(certificate, subject) != 1)
    detail::throw_crypto_error("self-signed certificate: cannot set its name");
}

void set_validity(X509* certificate, const SelfSignedRequest& request) {
  auto seconds = [](std::chrono::system_clock::time_point when) {
    return static_cast<time_t>(
        std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
  };
  if (ASN1_TIME_set(X509_getm_notBefore(certificate), seconds(request.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate), seconds(request.not_after)) == nullptr)
    detail::throw_crypto_error("self-signed certificate: cannot set its validity");
}

} // namespace

std::string make_self_signed_certificate(const PrivateKey& key, const SelfSignedRequest& request) {
  const std::string alt_names = subject_alt_name_text(request);
  if (request.not_after <= request.not_before)
    throw CryptoError("self-signed certificate: not_after must follow not_before");
  detail::X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1)
    detail::throw_crypto_error("cannot allocate a certificate");
  set_random_serial(certificate.get());
  set_name(certificate.get(), request);
  set_validity(certificate.get(), request);
  if (X509_set_pubkey(certificate.get(), key.get()) != 1)
    detail::throw_crypto_error("self-signed certificate: cannot set its key");
  add_extension(certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(certificate.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_extension(certificate.get(), NID_ext_key_usage, "serverAuth");
  add_extension(certificate.get(), NID_subject_key_identifier, "hash");
  add_extension(certificate.get(), NID_subject_alt_name, alt_names);
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0)
    detail::throw_crypto_error("self-signed certificate: cannot sign it");
  detail::BioPtr out = detail::output_bio();
  if (PEM_write_bio_X509(out.get(), certificate.get()) != 1)
    detail::throw_crypto_error("self-signed certificate: cannot write PEM");
  return detail::bio_contents(out.get());
}

} // namespace certsmith::crypto
