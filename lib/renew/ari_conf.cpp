#include "renew/ari_conf.hpp"

#include "acme/ari.hpp"

#include <ctime>
#include <fmt/format.h>

namespace certsmith::renew {

std::string format_certbot_time(TimePoint when) {
  std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", local.tm_year + 1900,
                     local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
}

std::optional<TimePoint> parse_certbot_time(std::string_view text) {
  std::string normalized(text);
  if (normalized.size() > 10 && normalized[10] == ' ')
    normalized[10] = 'T';
  if (auto with_offset = acme::parse_rfc3339(normalized))
    return with_offset;
  // No offset: read the fields as if UTC, then let mktime place them in local time.
  auto as_utc = acme::parse_rfc3339(normalized + "Z");
  if (!as_utc)
    return std::nullopt;
  auto whole = std::chrono::floor<std::chrono::seconds>(*as_utc);
  std::time_t utc_seconds = std::chrono::system_clock::to_time_t(whole);
  std::tm fields{};
  gmtime_r(&utc_seconds, &fields);
  fields.tm_isdst = -1;
  std::time_t local = std::mktime(&fields);
  if (local == static_cast<std::time_t>(-1))
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(local) + (*as_utc - whole);
}

std::optional<TimePoint> read_ari_retry_after(const store::ConfigObj& conf) {
  const store::Section* section = conf.root().section(k_ari_conf_section);
  if (section == nullptr)
    return std::nullopt;
  auto value = section->get(k_ari_retry_after_key);
  if (!value)
    return std::nullopt;
  return parse_certbot_time(*value);
}

void write_ari_retry_after(store::ConfigObj& conf, TimePoint when) {
  conf.root()
      .ensure_section(k_ari_conf_section)
      .set(k_ari_retry_after_key, format_certbot_time(when));
}

} // namespace certsmith::renew
