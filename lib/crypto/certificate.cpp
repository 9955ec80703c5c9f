#include "crypto/certificate.hpp"

#include "crypto/openssl_handles.hpp"
#include "crypto/private_key.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <ctime>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace certsmith::crypto {

namespace {

constexpr std::string_view k_begin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view k_end = "-----END CERTIFICATE-----";

detail::X509Ptr parse_first_certificate(std::string_view pem) {
  auto bio = detail::memory_bio(pem);
  detail::X509Ptr certificate(
      PEM_read_bio_X509(bio.get(), nullptr, detail::refuse_password, nullptr));
  if (!certificate) {
    detail::throw_crypto_error("cannot parse PEM certificate");
  }
  return certificate;
}

std::string name_rfc2253(const X509_NAME* name) {
  auto bio = detail::output_bio();
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    detail::throw_crypto_error("cannot print certificate name");
  }
  return detail::bio_contents(bio.get());
}

std::string common_name(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) {
    detail::throw_crypto_error("cannot decode issuer common name");
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::string asn1_bytes(const ASN1_STRING* value) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
          static_cast<std::size_t>(ASN1_STRING_length(value))};
}

void read_alt_names(const X509* certificate, CertificateFacts& facts) {
  int critical = 0;
  detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  if (!names) {
    if (critical != -1) {
      // -1 means "absent"; anything else is a present but undecodable extension.
      detail::throw_crypto_error("cannot decode subjectAltName");
    }
    return;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      facts.dns_names.push_back(asn1_bytes(name->d.dNSName));
    } else if (name->type == GEN_IPADD) {
      const std::string bytes = asn1_bytes(name->d.iPAddress);
      std::array<char, INET6_ADDRSTRLEN> text{};
      const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
      if (family != 0 && inet_ntop(family, bytes.data(), text.data(), text.size()) != nullptr) {
        facts.ip_addresses.emplace_back(text.data());
      }
    }
  }
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    detail::throw_crypto_error("cannot decode certificate validity");
  }
  // system_clock counts nanoseconds in 64 bits (years 1678-2262); RFC 5280's
  // 99991231235959Z "no expiry" and other far dates are clamped into range.
  constexpr std::time_t k_limit = 9'000'000'000; // about year 2255 / 1684
  std::time_t seconds = std::clamp<std::time_t>(timegm(&parts), -k_limit, k_limit);
  return std::chrono::system_clock::from_time_t(seconds);
}

// certbot prints serials as Python's '{0:x}': lower-case, no leading zeros.
std::string serial_hex(const ASN1_INTEGER* serial) {
  detail::BignumPtr value(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!value) {
    detail::throw_crypto_error("cannot decode certificate serial");
  }
  char* hex = BN_bn2hex(value.get());
  if (hex == nullptr) {
    detail::throw_crypto_error("cannot print certificate serial");
  }
  std::string text(hex);
  OPENSSL_free(hex);
  const bool negative = !text.empty() && text.front() == '-';
  std::string digits = negative ? text.substr(1) : text;
  const auto first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  for (char& c : digits) {
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return negative ? "-" + digits : digits;
}

// RFC 9773 §4.1 builds the ARI CertID from the DER content octets of the
// serial INTEGER (keeping a leading 0x00), so strip only the tag and length.
std::string serial_content_octets(const ASN1_INTEGER* serial) {
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_INTEGER(serial, &der);
  if (length <= 0) {
    detail::throw_crypto_error("cannot encode certificate serial");
  }
  const std::string encoded(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  std::size_t header = 2;
  if (encoded.size() >= 2 && (static_cast<unsigned char>(encoded[1]) & 0x80) != 0) {
    header += static_cast<unsigned char>(encoded[1]) & 0x7f;
  }
  if (encoded.size() < header) {
    throw CryptoError("malformed certificate serial");
  }
  return encoded.substr(header);
}

std::string key_type(const X509* certificate) {
  const EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr) {
    detail::throw_crypto_error("cannot decode certificate public key");
  }
  switch (EVP_PKEY_get_base_id(key)) {
  case EVP_PKEY_EC:
    return "ECDSA";
  case EVP_PKEY_RSA:
    return "RSA";
  default:
    return {};
  }
}

std::string der_of(const X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) {
    detail::throw_crypto_error("cannot encode certificate");
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

// The signature alone decides: names can be copied by anyone, a signature only
// by the holder of the issuer's key.
bool is_signed_by(X509* subject, X509* issuer) {
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  const bool signed_by = issuer_key != nullptr && X509_verify(subject, issuer_key) == 1;
  ERR_clear_error();
  return signed_by;
}

std::string normalize_line_endings(std::string_view block) {
  std::string out;
  out.reserve(block.size() + 1);
  for (const char c : block) {
    if (c != '\r') {
      out += c;
    }
  }
  out += '\n';
  return out;
}

} // namespace

CertificateFacts read_certificate(std::string_view pem) {
  auto certificate = parse_first_certificate(pem);
  CertificateFacts facts;
  facts.subject = name_rfc2253(X509_get_subject_name(certificate.get()));
  facts.issuer = name_rfc2253(X509_get_issuer_name(certificate.get()));
  facts.issuer_common_name = common_name(X509_get_issuer_name(certificate.get()));
  read_alt_names(certificate.get(), facts);
  facts.not_before = to_time_point(X509_get0_notBefore(certificate.get()));
  facts.not_after = to_time_point(X509_get0_notAfter(certificate.get()));
  const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate.get());
  facts.serial_hex = serial_hex(serial);
  facts.serial_der = serial_content_octets(serial);
  if (const ASN1_OCTET_STRING* key_id = X509_get0_authority_key_id(certificate.get())) {
    facts.authority_key_id = asn1_bytes(key_id);
  }
  facts.key_type = key_type(certificate.get());
  return facts;
}

std::vector<std::string> split_pem_chain(std::string_view pem) {
  std::vector<std::string> blocks;
  std::size_t position = 0;
  while ((position = pem.find(k_begin, position)) != std::string_view::npos) {
    const std::size_t end = pem.find(k_end, position + k_begin.size());
    if (end == std::string_view::npos) {
      throw CryptoError("PEM chain: certificate " + std::to_string(blocks.size() + 1) +
                        " has no END line (truncated?)");
    }
    const std::size_t block_end = end + k_end.size();
    std::string block = normalize_line_endings(pem.substr(position, block_end - position));
    if (block.find(k_begin, 1) != std::string::npos) {
      throw CryptoError("PEM chain: certificate " + std::to_string(blocks.size() + 1) +
                        " is not terminated before the next one");
    }
    parse_first_certificate(block);
    blocks.push_back(std::move(block));
    position = block_end;
  }
  if (blocks.empty()) {
    throw CryptoError("PEM chain holds no certificate");
  }
  return blocks;
}

std::string top_issuer_common_name(std::string_view chain_pem) {
  const std::vector<std::string> blocks = split_pem_chain(chain_pem);
  auto top = parse_first_certificate(blocks.back());
  return common_name(X509_get_issuer_name(top.get()));
}

bool is_chain_for_leaf(std::string_view chain_pem, std::string_view leaf_pem) {
  const std::vector<std::string> blocks = split_pem_chain(chain_pem);
  std::vector<detail::X509Ptr> chain;
  for (const auto& block : blocks) {
    chain.push_back(parse_first_certificate(block));
  }
  if (der_of(chain.front().get()) != der_of(parse_first_certificate(leaf_pem).get())) {
    return false;
  }
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    if (!is_signed_by(chain[i].get(), chain[i + 1].get())) {
      return false;
    }
  }
  return true;
}

bool certificate_matches_key(std::string_view cert_pem, std::string_view key_pem) {
  auto certificate = parse_first_certificate(cert_pem);
  const PrivateKey key = PrivateKey::from_pem(key_pem);
  const EVP_PKEY* public_key = X509_get0_pubkey(certificate.get());
  if (public_key == nullptr) {
    detail::throw_crypto_error("cannot decode certificate public key");
  }
  return EVP_PKEY_eq(public_key, key.get()) == 1;
}

} // namespace certsmith::crypto
