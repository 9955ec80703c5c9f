#pragma once
// Which kind of certificate a lineage serves (fallback.hpp), as its renewal
// conf records it in certsmith_live_kind.

#include "store/renewal_conf.hpp"

#include <string_view>

namespace certsmith::issuance {

enum class LiveKind { real, self_signed_bootstrap, self_signed_fallback, user_fallback };

/// The kind the conf records; an unknown value counts as a placeholder
/// (user_fallback's treatment: renewed at the next run) rather than as real.
LiveKind live_kind_of(const store::RenewalParams& params);
/// What the conf records: "real" (written as no key), "self-signed-bootstrap",
/// "self-signed-fallback", "user-fallback".
std::string_view live_kind_name(LiveKind kind);
/// For people: "real", "self-signed bootstrap", "self-signed fallback", "user fallback".
std::string_view live_kind_label(LiveKind kind);
/// True while anything but a certificate from the CA is live: such a lineage is
/// always due, and its certificate is no certificate of the CA's to replace.
bool placeholder_is_live(const store::RenewalParams& params);

} // namespace certsmith::issuance
