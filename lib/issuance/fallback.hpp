#pragma once
// Fallback certificates: what a lineage serves while it has no valid
// certificate from the CA. `certonly --bootstrap-self-signed` creates the
// lineage with a self-signed placeholder before the order, so a web server
// configured for live/NAME can start at once; with `--fallback-self-signed`
// (or `--fallback-cert/--fallback-key`, e.g. a purchased wildcard), a lineage
// whose renewal keeps failing until its certificate has expired switches
// live/ to a fallback. Either way the next successful issuance replaces it
// as a new archive version, as any renewal does.
//
// Which kind is live is recorded in the renewal conf (certsmith_live_kind),
// written in the same step as the version it describes (save_successor writes
// the conf right after switching live/). A real issuance clears it. The conf,
// not the certificate, is the record because a user's fallback cannot carry
// a marker and because renew reads the conf of every lineage anyway, while it
// parses certificates only when they changed (the expiry index). A crash
// between the switch and the conf write leaves the label one step behind;
// both wrong labels are harmless: a real certificate labelled a placeholder
// is renewed once more, a placeholder labelled real is an expired lineage
// renew retries anyway. certbot ignores these keys and drops them when it
// renews, which is right: its certificate is a real one.

#include "acme/identifier.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::issuance {

enum class LiveKind { real, self_signed_bootstrap, self_signed_fallback, user_fallback };

/// The kind the conf records; an unknown value counts as a placeholder
/// (user_fallback's treatment: renewed at the next run) rather than as real.
LiveKind live_kind_of(const store::RenewalParams& params);
/// "real", "self-signed-bootstrap", "self-signed-fallback", "user-fallback".
std::string_view live_kind_name(LiveKind kind);
/// For people: "real", "self-signed bootstrap", "self-signed fallback", "user fallback".
std::string_view live_kind_label(LiveKind kind);
/// True while anything but a certificate from the CA is live: such a lineage is always due.
bool placeholder_is_live(const store::RenewalParams& params);

/// How long a self-signed placeholder is valid: long enough for a weekly
/// timer to replace it, short enough that nobody mistakes it for the real thing.
inline constexpr std::chrono::hours k_self_signed_validity{7 * 24};

/// The fallback chosen on the command line of certonly.
struct FallbackOptions {
  bool bootstrap_self_signed = false;
  bool fallback_self_signed = false;
  std::string fallback_cert; // both or neither
  std::string fallback_key;
};

/// Check the fallback flags for these identifiers before anything is sent:
/// --fallback-cert and --fallback-key together, the files readable, not too
/// large, the key not readable by others, the certificate parsing, matching
/// the key, covering every name and not expired. Then record them in params
/// (paths made absolute). Flags not given keep what params holds. Throws
/// UsageError with one line naming the file and what is wrong.
void record_fallback_settings(store::RenewalParams& params, const FallbackOptions& options,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point now);

/// Create lineage `name` with a self-signed certificate for the identifiers
/// (key of the kind params asks for, valid k_self_signed_validity) as version
/// 1, recorded as self-signed-bootstrap. Throws like store::create_lineage.
store::Lineage create_bootstrap_lineage(const store::TreePaths& paths, const std::string& name,
                                        const std::vector<acme::Identifier>& identifiers,
                                        store::RenewalParams params,
                                        std::chrono::system_clock::time_point now);

/// The identifiers a renewal asks for: those the conf recorded while a
/// fallback is live (a user's wildcard names other things), else `live`.
std::vector<acme::Identifier> identifiers_to_renew(const store::RenewalParams& params,
                                                   std::vector<acme::Identifier> live);

/// After a failed renewal: when the lineage has a fallback and its live
/// certificate has expired (live_not_after <= now), store the fallback as the
/// next version (the user's when set and still valid, else a fresh self-signed
/// one when --fallback-self-signed). Returns one line saying what was done, or
/// nullopt when nothing was. Throws StorageError/UsageError when the switch
/// itself fails (the lineage is left as it was).
std::optional<std::string>
switch_to_fallback_if_expired(store::Lineage& lineage,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point live_not_after,
                              std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
