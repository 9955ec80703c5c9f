#include "crypto/csr.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <fmt/format.h>
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

namespace {

// A name from someone else's CSR ends up in an order, a file name and the
// terminal: only what a host name may hold gets through (wildcards included,
// the authenticator judges those).
std::string checked_csr_name(std::string_view name, std::string_view where) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '*';
  });
  if (!ok) {
    throw CryptoError(
        fmt::format("CSR: {} '{}' is not a host name", where, util::escape_untrusted(name, 80)));
  }
  return std::string(name);
}

// inet_pton takes only a whole address in its plain form: no zone, prefix,
// brackets or port. It reads up to the first NUL, so a name holding one is no
// address ("::1\0evil.com" would pass otherwise).
bool is_ip_address_text(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  if (text.find('\0') != std::string::npos) {
    return false;
  }
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

detail::X509ReqPtr parse_csr(std::string_view pem_or_der) {
  if (pem_or_der.size() > k_max_csr_bytes) {
    throw CryptoError(fmt::format("CSR: larger than {} bytes", k_max_csr_bytes));
  }
  detail::X509ReqPtr request;
  if (pem_or_der.find("-----BEGIN") != std::string_view::npos) {
    auto bio = detail::memory_bio(pem_or_der);
    request.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, detail::refuse_password, nullptr));
  } else {
    const auto* cursor = reinterpret_cast<const unsigned char*>(pem_or_der.data());
    const auto* end = cursor + pem_or_der.size();
    request.reset(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(pem_or_der.size())));
    if (request && cursor != end) { // trailing bytes: not one DER request
      request.reset();
    }
  }
  if (!request) {
    ERR_clear_error();
    throw CryptoError("CSR: not a PEM or DER certificate signing request");
  }
  return request;
}

std::string common_name_of(X509_REQ* request) {
  X509_NAME* subject = X509_REQ_get_subject_name(request);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length < 0) {
    ERR_clear_error();
    throw CryptoError("CSR: the subject common name cannot be decoded");
  }
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  // An address first: an IPv6 CN holds ':', which no host name may.
  if (is_ip_address_text(name)) {
    return name;
  }
  return checked_csr_name(name, "common name");
}

void read_alt_names(X509_REQ* request, CsrContents& contents) {
  ExtensionStackPtr extensions(X509_REQ_get_extensions(request));
  if (!extensions) {
    ERR_clear_error();
    return;
  }
  int critical = 0;
  detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(extensions.get(), NID_subject_alt_name, &critical, nullptr)));
  if (!names) {
    ERR_clear_error();
    if (critical != -1) { // -1: absent; -2: twice; otherwise undecodable
      throw CryptoError("CSR: the subjectAltName extension cannot be decoded");
    }
    return;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* value = name->d.dNSName;
      contents.dns_names.push_back(
          checked_csr_name({reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                            static_cast<std::size_t>(ASN1_STRING_length(value))},
                           "DNS name"));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* value = name->d.iPAddress;
      const int length = ASN1_STRING_length(value);
      std::array<char, INET6_ADDRSTRLEN> text{};
      const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
      if (family == 0 ||
          inet_ntop(family, ASN1_STRING_get0_data(value), text.data(), text.size()) == nullptr) {
        throw CryptoError("CSR: an iPAddress entry is neither IPv4 nor IPv6");
      }
      contents.ip_addresses.emplace_back(text.data());
    }
    // Other kinds (email, URI) are not ACME identifiers; the CA judges them.
  }
}

} // namespace

CsrContents read_csr(std::string_view pem_or_der) {
  detail::X509ReqPtr request = parse_csr(pem_or_der);
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr || X509_REQ_verify(request.get(), key) != 1) {
    ERR_clear_error();
    throw CryptoError("CSR: its signature does not verify with its own public key");
  }
  CsrContents contents;
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(request.get(), &der);
  if (length <= 0) {
    detail::throw_crypto_error("cannot encode CSR");
  }
  contents.der.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  contents.common_name = common_name_of(request.get());
  read_alt_names(request.get(), contents);
  return contents;
}

bool certificate_matches_csr(std::string_view cert_pem, const CsrContents& csr) {
  auto bio = detail::memory_bio(cert_pem);
  detail::X509Ptr certificate(
      PEM_read_bio_X509(bio.get(), nullptr, detail::refuse_password, nullptr));
  if (!certificate) {
    detail::throw_crypto_error("cannot read certificate");
  }
  detail::X509ReqPtr request = parse_csr(csr.der);
  EVP_PKEY* certificate_key = X509_get0_pubkey(certificate.get());
  EVP_PKEY* request_key = X509_REQ_get0_pubkey(request.get());
  return certificate_key != nullptr && request_key != nullptr &&
         EVP_PKEY_eq(certificate_key, request_key) == 1;
}

} // namespace certsmith::crypto
