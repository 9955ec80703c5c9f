#include "crypto/csr.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace certsmith::crypto {

namespace {

using ExtensionPtr = std::unique_ptr<X509_EXTENSION, detail::Deleter<X509_EXTENSION_free>>;
using OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, detail::Deleter<ASN1_OCTET_STRING_free>>;

struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * stack) const {
    sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
  }
};
using ExtensionStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree>;

// RFC 5280 ub-common-name: a longer first name stays only in subjectAltName.
constexpr std::size_t k_max_common_name = 64;

// RFC 7633 §4.2: TLS Feature extension, SEQUENCE { INTEGER 5 (status_request) }.
constexpr unsigned char k_status_request_feature[] = {0x30, 0x03, 0x02, 0x01, 0x05};

// Names are checked against policy elsewhere; this only keeps bytes that cannot
// be part of a hostname (controls, spaces, non-ASCII) out of an IA5String.
void check_dns_name(const std::string& name) {
  if (name.empty()) {
    throw CryptoError("CSR: empty DNS name");
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '*';
    if (!ok) {
      throw CryptoError("CSR: invalid character in DNS name \"" + name + "\"");
    }
  }
}

void push_general_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_STRING_free(value);
    detail::throw_crypto_error("cannot allocate subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name, type, value);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    detail::throw_crypto_error("cannot add subjectAltName entry");
  }
}

ExtensionPtr subject_alt_name_extension(const CsrOptions& options) {
  detail::GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) {
    detail::throw_crypto_error("cannot allocate subjectAltName");
  }
  for (const std::string& dns_name : options.dns_names) {
    check_dns_name(dns_name);
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (value == nullptr ||
        ASN1_STRING_set(value, dns_name.data(), static_cast<int>(dns_name.size())) != 1) {
      ASN1_IA5STRING_free(value);
      detail::throw_crypto_error("cannot encode DNS name");
    }
    push_general_name(names.get(), GEN_DNS, value);
  }
  for (const std::string& address : options.ip_addresses) {
    // a2i_IPADDRESS parses IPv4 and IPv6 text into the 4/16 network-order bytes
    // RFC 5280 §4.2.1.6 wants, and refuses anything else.
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(address.c_str());
    if (value == nullptr || address.find('\0') != std::string::npos) {
      ASN1_OCTET_STRING_free(value);
      ERR_clear_error();
      throw CryptoError("CSR: invalid IP address \"" + address + "\"");
    }
    push_general_name(names.get(), GEN_IPADD, value);
  }
  ExtensionPtr extension(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  if (!extension) {
    detail::throw_crypto_error("cannot encode subjectAltName");
  }
  return extension;
}

ExtensionPtr must_staple_extension() {
  OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (!value || ASN1_OCTET_STRING_set(value.get(), k_status_request_feature,
                                      sizeof(k_status_request_feature)) != 1) {
    detail::throw_crypto_error("cannot encode TLS Feature");
  }
  ExtensionPtr extension(X509_EXTENSION_create_by_NID(nullptr, NID_tlsfeature, 0, value.get()));
  if (!extension) {
    detail::throw_crypto_error("cannot encode TLS Feature");
  }
  return extension;
}

void push_extension(STACK_OF(X509_EXTENSION) * stack, ExtensionPtr extension) {
  if (sk_X509_EXTENSION_push(stack, extension.get()) <= 0) {
    detail::throw_crypto_error("cannot add CSR extension");
  }
  static_cast<void>(extension.release());
}

detail::X509ReqPtr make_csr(const PrivateKey& key, const CsrOptions& options) {
  if (options.dns_names.empty() && options.ip_addresses.empty()) {
    throw CryptoError("CSR needs at least one DNS name or IP address");
  }
  detail::X509ReqPtr request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), 0) != 1) {
    detail::throw_crypto_error("cannot create CSR");
  }
  if (!options.dns_names.empty() && options.dns_names.front().size() <= k_max_common_name) {
    const std::string& common_name = options.dns_names.front();
    check_dns_name(common_name);
    X509_NAME* subject = X509_REQ_get_subject_name(request.get());
    if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.data()),
                                   static_cast<int>(common_name.size()), -1, 0) != 1) {
      detail::throw_crypto_error("cannot set CSR common name");
    }
  }
  ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
  if (!extensions) {
    detail::throw_crypto_error("cannot allocate CSR extensions");
  }
  push_extension(extensions.get(), subject_alt_name_extension(options));
  if (options.must_staple) {
    push_extension(extensions.get(), must_staple_extension());
  }
  if (X509_REQ_add_extensions(request.get(), extensions.get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1) {
    detail::throw_crypto_error("cannot fill CSR");
  }
  const KeySpec spec = key.spec();
  const bool p384 = spec.algorithm == KeyAlgorithm::ecdsa && spec.curve == "secp384r1";
  const EVP_MD* digest = p384 ? EVP_sha384() : EVP_sha256();
  if (X509_REQ_sign(request.get(), key.get(), digest) <= 0) {
    detail::throw_crypto_error("cannot sign CSR");
  }
  return request;
}

} // namespace

std::string make_csr_der(const PrivateKey& key, const CsrOptions& options) {
  auto request = make_csr(key, options);
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(request.get(), &der);
  if (length <= 0) {
    detail::throw_crypto_error("cannot encode CSR");
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string make_csr_pem(const PrivateKey& key, const CsrOptions& options) {
  auto request = make_csr(key, options);
  auto bio = detail::output_bio();
  if (PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1) {
    detail::throw_crypto_error("cannot write CSR PEM");
  }
  return detail::bio_contents(bio.get());
}

} // namespace certsmith::crypto
