#include "acme/ari.hpp"

#include "acme/problem.hpp"
#include "crypto/base64url.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::acme {

namespace {

using std::chrono::system_clock;

constexpr std::size_t k_max_explanation_url = 2048;

// Reads exactly `count` digits at text[pos..]; nullopt when any is not a digit.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool usable_explanation_url(std::string_view url) {
  if (url.size() > k_max_explanation_url)
    return false;
  if (!url.starts_with("https://") && !url.starts_with("http://"))
    return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

system_clock::time_point window_time(const nlohmann::json& window, const char* key) {
  auto it = window.find(key);
  if (it == window.end() || !it->is_string())
    throw ProtocolError(fmt::format("the CA's renewalInfo has no suggestedWindow.{} string", key));
  auto parsed = parse_rfc3339(it->get_ref<const std::string&>());
  if (!parsed)
    throw ProtocolError(
        fmt::format("the CA's renewalInfo suggestedWindow.{} is not an RFC 3339 time", key));
  return *parsed;
}

} // namespace

std::string ari_certificate_id(std::string_view authority_key_id, std::string_view serial_der) {
  if (authority_key_id.empty())
    throw CryptoError("the certificate has no authority key identifier, so ARI cannot name it");
  if (serial_der.empty())
    throw CryptoError("the certificate has no serial number, so ARI cannot name it");
  return crypto::base64url_encode(authority_key_id) + "." + crypto::base64url_encode(serial_der);
}

std::string ari_certificate_id(const crypto::CertificateFacts& facts) {
  return ari_certificate_id(facts.authority_key_id, facts.serial_der);
}

bool is_ari_certificate_id(std::string_view id) {
  auto dot = id.find('.');
  if (dot == std::string_view::npos)
    return false;
  return crypto::is_base64url(id.substr(0, dot)) && crypto::is_base64url(id.substr(dot + 1));
}

std::optional<system_clock::time_point> parse_rfc3339(std::string_view text) {
  // full-date "T" partial-time time-offset, RFC 3339 §5.6.
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  if (*year < 1900 || *year > 2200 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year),
                                   std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok())
    return std::nullopt;

  std::size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    long long scale = 100'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      // Digits past nanoseconds are read and dropped.
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return std::nullopt;
  }
  if (pos >= text.size())
    return std::nullopt;
  std::chrono::minutes offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    auto offset_hour = digits(text, pos + 1, 2);
    auto offset_minute = digits(text, pos + 4, 2);
    if (!offset_hour || !offset_minute || text[pos + 3] != ':' || *offset_hour > 23 ||
        *offset_minute > 59)
      return std::nullopt;
    offset = std::chrono::hours(*offset_hour) + std::chrono::minutes(*offset_minute);
    if (text[pos] == '-')
      offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size())
    return std::nullopt;

  // A leap second (:60) lands on the next minute's :00, which is as close as
  // a POSIX clock gets.
  auto local = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
               std::chrono::minutes(*minute) + std::chrono::seconds(*second);
  auto utc = local - offset;
  return std::chrono::time_point_cast<system_clock::duration>(utc) +
         std::chrono::duration_cast<system_clock::duration>(fraction);
}

RenewalInfo parse_renewal_info(const nlohmann::json& body) {
  if (!body.is_object())
    throw ProtocolError("the CA's renewalInfo is not a JSON object");
  auto window = body.find("suggestedWindow");
  if (window == body.end() || !window->is_object())
    throw ProtocolError("the CA's renewalInfo has no suggestedWindow object");
  RenewalInfo info;
  info.window_start = window_time(*window, "start");
  info.window_end = window_time(*window, "end");
  if (info.window_end <= info.window_start)
    throw ProtocolError("the CA's renewalInfo suggestedWindow ends before it starts");
  auto explanation = body.find("explanationURL");
  if (explanation != body.end() && explanation->is_string() &&
      usable_explanation_url(explanation->get_ref<const std::string&>()))
    info.explanation_url = explanation->get<std::string>();
  return info;
}

std::chrono::seconds clamp_ari_retry_after(std::chrono::seconds value) {
  return std::clamp(value, k_min_ari_retry_after, k_max_ari_retry_after);
}

} // namespace certsmith::acme
