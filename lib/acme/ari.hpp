#pragma once
// RFC 9773 ACME Renewal Information (ARI): the certificate identifier, the
// renewalInfo object and the Retry-After bounds a client keeps to.

#include "crypto/certificate.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::acme {

/// RFC 9773 §4.3.2: Retry-After under a minute counts as a minute, over a day as a day.
inline constexpr std::chrono::seconds k_min_ari_retry_after{60};
inline constexpr std::chrono::seconds k_max_ari_retry_after{24 * 3600};
/// RFC 9773 §4.3.3: after a long-term error (or no usable Retry-After), ask again in six hours.
inline constexpr std::chrono::seconds k_default_ari_retry_after{6 * 3600};

/// RFC 9773 §4.2: a renewalInfo answer.
struct RenewalInfo {
  std::chrono::system_clock::time_point window_start; // suggestedWindow.start
  std::chrono::system_clock::time_point window_end;   // suggestedWindow.end, > start
  std::string explanation_url;                        // "" when absent or unusable (untrusted)
  std::optional<std::chrono::seconds> retry_after; // clamped to [1 min, 1 day]; nullopt if absent
};

/// RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content
/// octets, leading 0x00 kept), unpadded. Throws CryptoError when the
/// certificate has no AKI keyIdentifier or no serial.
std::string ari_certificate_id(const crypto::CertificateFacts& facts);
/// The same from the raw AKI keyIdentifier and serial content octets.
std::string ari_certificate_id(std::string_view authority_key_id, std::string_view serial_der);

/// True when id has the §4.1 shape: two non-empty base64url parts joined by one ".".
bool is_ari_certificate_id(std::string_view id);

/// RFC 3339 §5.6 date-time ("2025-01-02T03:04:05.678+01:00", T/t, Z/z) as a
/// time point; std::nullopt when malformed or outside the years 1900..2200.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// RFC 9773 §4.2: parse a renewalInfo body (already bounded JSON). Throws
/// ProtocolError for a missing or malformed suggestedWindow, times that are not
/// RFC 3339, or end <= start (the RFC: treat as no answer). A malformed
/// explanationURL is cosmetic and dropped. retry_after is left unset.
RenewalInfo parse_renewal_info(const nlohmann::json& body);

/// RFC 9773 §4.3.2: clamp a server's Retry-After to [1 minute, 1 day].
std::chrono::seconds clamp_ari_retry_after(std::chrono::seconds value);

} // namespace certsmith::acme
