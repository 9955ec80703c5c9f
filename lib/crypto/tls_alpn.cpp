#include "crypto/tls_alpn.hpp"

#include "crypto/digest.hpp"
#include "crypto/openssl_handles.hpp"
#include "crypto/private_key.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <arpa/inet.h>
#include <array>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace certsmith::crypto {

namespace {

using ExtensionPtr = std::unique_ptr<X509_EXTENSION, detail::Deleter<X509_EXTENSION_free>>;
using OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, detail::Deleter<ASN1_OCTET_STRING_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, detail::Deleter<ASN1_OBJECT_free>>;

// RFC 8737 §6.1: id-pe-acmeIdentifier.
constexpr const char* k_acme_identifier_oid = "1.3.6.1.5.5.7.1.31";
// RFC 1035: a name longer than this cannot be resolved, so cannot be validated.
constexpr std::size_t k_max_dns_name = 253;
// The CA connects within seconds of being told to; a day of slack covers clock skew.
constexpr long k_not_before_slack_seconds = 24L * 3600;
constexpr long k_validity_seconds = 7L * 24 * 3600;

// An identifier is a literal address (4 or 16 network-order bytes) or a DNS name.
struct ParsedIdentifier {
  int family = 0; // AF_INET, AF_INET6, or 0 for a DNS name
  std::array<unsigned char, 16> address{};
  std::string dns_name;
};

[[noreturn]] void refuse(std::string_view identifier, std::string_view reason) {
  throw CryptoError(fmt::format("tls-alpn-01: refusing identifier \"{}\": {}",
                                util::escape_untrusted(identifier, 256), reason));
}

ParsedIdentifier parse_identifier(std::string_view identifier) {
  ParsedIdentifier parsed;
  if (identifier.empty()) {
    refuse(identifier, "empty");
  }
  if (identifier.find('\0') == std::string_view::npos) {
    const std::string text(identifier);
    if (inet_pton(AF_INET, text.c_str(), parsed.address.data()) == 1) {
      parsed.family = AF_INET;
      return parsed;
    }
    if (inet_pton(AF_INET6, text.c_str(), parsed.address.data()) == 1) {
      parsed.family = AF_INET6;
      return parsed;
    }
  }
  if (identifier.size() > k_max_dns_name) {
    refuse(identifier, "longer than 253 bytes");
  }
  for (const char c : identifier) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) {
      // '*' included: RFC 8737 §3 forbids tls-alpn-01 for wildcard names.
      refuse(identifier, "not a DNS name or IP address");
    }
  }
  if (identifier.front() == '.' || identifier.back() == '.' ||
      identifier.find("..") != std::string_view::npos) {
    refuse(identifier, "empty label");
  }
  for (const char c : identifier) {
    parsed.dns_name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return parsed;
}

std::string reverse_dns_name(const ParsedIdentifier& parsed) {
  std::string name;
  if (parsed.family == AF_INET) {
    for (int i = 3; i >= 0; --i) {
      name += fmt::format("{}.", parsed.address[static_cast<std::size_t>(i)]);
    }
    return name + "in-addr.arpa";
  }
  constexpr std::string_view k_hex = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    const unsigned char byte = parsed.address[static_cast<std::size_t>(i)];
    name += k_hex[byte & 0x0f];
    name += '.';
    name += k_hex[byte >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

std::string server_name_of(const ParsedIdentifier& parsed) {
  return parsed.family == 0 ? parsed.dns_name : reverse_dns_name(parsed);
}

void add_extension(X509* certificate, X509_EXTENSION* extension, std::string_view what) {
  if (extension == nullptr) {
    detail::throw_crypto_error(fmt::format("cannot encode {}", what));
  }
  ExtensionPtr owned(extension);
  if (X509_add_ext(certificate, owned.get(), -1) != 1) {
    detail::throw_crypto_error(fmt::format("cannot add {}", what));
  }
}

void add_subject_alt_name(X509* certificate, const ParsedIdentifier& parsed) {
  detail::GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_STRING* value = parsed.family == 0 ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
  if (!names || name == nullptr || value == nullptr) {
    GENERAL_NAME_free(name);
    ASN1_STRING_free(value);
    detail::throw_crypto_error("cannot allocate subjectAltName");
  }
  const bool set = parsed.family == 0
                       ? ASN1_STRING_set(value, parsed.dns_name.data(),
                                         static_cast<int>(parsed.dns_name.size())) == 1
                       : ASN1_OCTET_STRING_set(value, parsed.address.data(),
                                               parsed.family == AF_INET ? 4 : 16) == 1;
  GENERAL_NAME_set0_value(name, parsed.family == 0 ? GEN_DNS : GEN_IPADD, value);
  if (!set || sk_GENERAL_NAME_push(names.get(), name) <= 0) {
    GENERAL_NAME_free(name);
    detail::throw_crypto_error("cannot encode subjectAltName");
  }
  add_extension(certificate, X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()),
                "subjectAltName");
}

// RFC 8737 §3: extnValue is the DER of Authorization ::= OCTET STRING (SIZE (32)).
void add_acme_identifier(X509* certificate, std::string_view key_authorization) {
  const std::string digest = sha256(key_authorization);
  OctetStringPtr inner(ASN1_OCTET_STRING_new());
  if (!inner ||
      ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(digest.data()),
                            static_cast<int>(digest.size())) != 1) {
    detail::throw_crypto_error("cannot encode acmeIdentifier");
  }
  unsigned char* der = nullptr;
  const int der_length = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  OctetStringPtr outer(ASN1_OCTET_STRING_new());
  const bool encoded =
      der_length > 0 && outer && ASN1_OCTET_STRING_set(outer.get(), der, der_length) == 1;
  OPENSSL_free(der);
  ObjectPtr oid(OBJ_txt2obj(k_acme_identifier_oid, 1));
  if (!encoded || !oid) {
    detail::throw_crypto_error("cannot encode acmeIdentifier");
  }
  add_extension(certificate, X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, outer.get()),
                "acmeIdentifier");
}

void set_random_serial(X509* certificate) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    detail::throw_crypto_error("cannot draw a serial number");
  }
  bytes[0] &= 0x7f; // positive, as RFC 5280 §4.1.2.2 wants
  detail::BignumPtr serial(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
    detail::throw_crypto_error("cannot set a serial number");
  }
}

// Self-signed: the subject is a fixed label, never the identifier, so only the
// subjectAltName names what is being validated (RFC 8737 §3).
void set_names_and_validity(X509* certificate) {
  X509_NAME* subject = X509_get_subject_name(certificate);
  const auto* label = reinterpret_cast<const unsigned char*>("certsmith tls-alpn-01");
  if (X509_set_version(certificate, X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, label, -1, -1, 0) != 1 ||
      X509_set_issuer_name(certificate, subject) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(certificate), -k_not_before_slack_seconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(certificate), k_validity_seconds) == nullptr) {
    detail::throw_crypto_error("cannot fill the validation certificate");
  }
}

} // namespace

struct TlsAlpnCertificate::Parts {
  PrivateKey key;
  detail::X509Ptr certificate;
  std::string server_name;
};

std::string tls_alpn_server_name(std::string_view identifier) {
  return server_name_of(parse_identifier(identifier));
}

TlsAlpnCertificate TlsAlpnCertificate::create(std::string_view identifier,
                                              std::string_view key_authorization) {
  const ParsedIdentifier parsed = parse_identifier(identifier);
  PrivateKey key = PrivateKey::generate(KeySpec{});
  detail::X509Ptr certificate(X509_new());
  if (!certificate) {
    detail::throw_crypto_error("cannot allocate the validation certificate");
  }
  set_names_and_validity(certificate.get());
  set_random_serial(certificate.get());
  if (X509_set_pubkey(certificate.get(), key.get()) != 1) {
    detail::throw_crypto_error("cannot set the validation certificate's key");
  }
  add_subject_alt_name(certificate.get(), parsed);
  add_acme_identifier(certificate.get(), key_authorization);
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0) {
    detail::throw_crypto_error("cannot sign the validation certificate");
  }
  return TlsAlpnCertificate(std::make_shared<const Parts>(
      Parts{std::move(key), std::move(certificate), server_name_of(parsed)}));
}

TlsAlpnCertificate::TlsAlpnCertificate(std::shared_ptr<const Parts> parts)
    : m_parts(std::move(parts)) {}

const std::string& TlsAlpnCertificate::server_name() const {
  return m_parts->server_name;
}

std::string TlsAlpnCertificate::certificate_pem() const {
  auto bio = detail::output_bio();
  if (PEM_write_bio_X509(bio.get(), m_parts->certificate.get()) != 1) {
    detail::throw_crypto_error("cannot write the validation certificate");
  }
  return detail::bio_contents(bio.get());
}

x509_st* TlsAlpnCertificate::x509() const {
  return m_parts->certificate.get();
}

evp_pkey_st* TlsAlpnCertificate::key() const {
  return m_parts->key.get();
}

} // namespace certsmith::crypto
