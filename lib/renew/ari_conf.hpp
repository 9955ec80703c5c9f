#pragma once
// certbot 5's record of ARI Retry-After in a renewal conf, so certbot and
// certsmith honour each other's:
//
//   [acme_renewal_info]
//   ari_retry_after = 2025-07-01T14:03:22
//
// certbot writes datetime.isoformat(timespec="seconds") of a naive local time
// and compares it with a naive datetime.now(), so certsmith writes the same
// (an offset would make certbot's comparison raise) and reads either form.

#include "renew/due.hpp"
#include "store/config_obj.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace certsmith::renew {

inline constexpr const char* k_ari_conf_section = "acme_renewal_info";
inline constexpr const char* k_ari_retry_after_key = "ari_retry_after";

/// "2025-07-01T14:03:22" in the local time zone, as certbot writes it.
std::string format_certbot_time(TimePoint when);

/// Python datetime.fromisoformat's usual forms: "YYYY-MM-DDTHH:MM:SS" (or a
/// space for "T"), optional ".ffffff", optional "Z" / "+HH:MM"; without an
/// offset the time is local, as certbot means it. nullopt when malformed.
std::optional<TimePoint> parse_certbot_time(std::string_view text);

/// [acme_renewal_info] ari_retry_after of conf; nullopt when absent or malformed.
std::optional<TimePoint> read_ari_retry_after(const store::ConfigObj& conf);

/// Set [acme_renewal_info] ari_retry_after (the section is created at the end
/// when missing, as certbot's configobj merge does). Other keys stay as they are.
void write_ari_retry_after(store::ConfigObj& conf, TimePoint when);

} // namespace certsmith::renew
