#pragma once
// A user-provided fallback (fallback.hpp), e.g. a purchased wildcard: its two
// files read and checked. The files cross a trust boundary (any path the user
// or a conf names), so they are opened without following a FIFO or device,
// size-limited, and the key must not be readable by others.

#include "acme/identifier.hpp"
#include "store/lineage.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct UserFallback {
  store::CertificateFiles files;
  std::chrono::system_clock::time_point not_after;
};

/// RFC 6125 §6.4.3 as browsers apply it: a name is covered by an equal entry
/// or by "*.PARENT" when it is one label under PARENT (never a.b.PARENT).
bool dns_name_covered(const std::vector<std::string>& held, const std::string& wanted);

/// The user's fallback, checked: both files regular and at most 1 MiB, the key
/// not readable by others, the certificate a PEM chain whose first certificate
/// matches the key, covers every identifier and has not expired at `now`.
/// Throws UsageError with one line naming the file and what is wrong.
UserFallback load_user_fallback(const std::string& cert_path, const std::string& key_path,
                                const std::vector<acme::Identifier>& identifiers,
                                std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
