#pragma once
// The fallback a lineage's conf records (fallback.hpp), as certonly and
// reconfigure set or clear it from the command line.

#include "acme/identifier.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// The fallback flags of one command line.
struct FallbackOptions {
  bool bootstrap_self_signed = false; // certonly only: a new lineage starts self-signed
  bool fallback_self_signed = false;
  std::string fallback_cert; // both or neither
  std::string fallback_key;
  bool no_fallback = false; // --no-fallback: forget both fallbacks
  /// Any flag that changes what the conf records (not bootstrap_self_signed).
  bool changes_conf() const {
    return fallback_self_signed || !fallback_cert.empty() || !fallback_key.empty() || no_fallback;
  }
};

/// The checks of record_fallback_settings alone, for a command that must refuse
/// bad flags before it writes anything. Throws UsageError.
void check_fallback_options(const FallbackOptions& options,
                            const std::vector<acme::Identifier>& identifiers,
                            std::chrono::system_clock::time_point now);

/// Check the fallback flags for these identifiers before anything is written
/// or sent: --fallback-cert and --fallback-key together, --no-fallback alone,
/// the user's files as load_user_fallback checks them (fallback_user.hpp:
/// covering every identifier, unexpired at `now`). Then record them in params
/// (paths made absolute: renewal runs from a timer in another directory).
/// Flags not given keep what params holds; --no-fallback clears both
/// fallbacks (a live placeholder stays until renewal replaces it). Throws
/// UsageError with one line naming the flag or file and what is wrong.
void record_fallback_settings(store::RenewalParams& params, const FallbackOptions& options,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point now);

/// certonly on a lineage it keeps (still valid, same names): the fallback
/// flags are recorded in its conf all the same (rewritten atomically, only
/// when that changes it). Returns whether it did. Throws UsageError as
/// record_fallback_settings, StorageError when the conf cannot be written.
bool save_fallback_settings(store::Lineage& lineage, const FallbackOptions& options,
                            const std::vector<acme::Identifier>& identifiers,
                            std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
