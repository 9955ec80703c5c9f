#pragma once
// Facts read from X.509 certificates, and PEM chain handling.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::crypto {

struct CertificateFacts {
  std::string subject; // one-line RFC 2253 form
  std::string issuer;  // one-line RFC 2253 form
  std::string issuer_common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::string serial_hex;       // lower-case, no leading zeros, as certbot prints it
  std::string authority_key_id; // raw bytes of AKI keyIdentifier, "" when absent
  std::string serial_der;       // DER content octets of the serial, 0x00 kept (RFC 9773 §4.1)
  std::string key_type;         // "ECDSA" or "RSA"; "" for any other key type
};

/// Facts of the first certificate in pem. Throws CryptoError when pem holds none
/// or it does not parse.
CertificateFacts read_certificate(std::string_view pem);

/// Split a PEM bundle into its certificates (each a complete PEM block ending
/// in "\n"). Throws CryptoError if there is none or a block is malformed.
std::vector<std::string> split_pem_chain(std::string_view pem);

/// The issuer common name of the last (topmost) certificate in chain_pem: the
/// name of the root the chain leads to, by which certbot's --preferred-chain
/// chooses. "" when that issuer has no CN. Throws CryptoError like
/// split_pem_chain.
std::string top_issuer_common_name(std::string_view chain_pem);

/// True when chain_pem starts with the same certificate as leaf_pem (same DER)
/// and each of its certificates is signed by the key of the one after it. Throws
/// CryptoError when either does not parse.
bool is_chain_for_leaf(std::string_view chain_pem, std::string_view leaf_pem);

/// True when the certificate's public key matches key_pem's private key.
bool certificate_matches_key(std::string_view cert_pem, std::string_view key_pem);

} // namespace certsmith::crypto
