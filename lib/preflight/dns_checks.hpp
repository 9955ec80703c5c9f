#pragma once
// The DNS side of preflight: does the name resolve, does CAA (RFC 8659) let the
// CA issue for it, can the account email's domain receive mail.

#include "preflight/finding.hpp"
#include "preflight/lookup.hpp"

#include <optional>
#include <string>
#include <vector>

namespace certsmith::preflight {

/// A/AAAA of name ("*." stripped): pass with the addresses, fail on NXDOMAIN or
/// no address, warn when no resolver answers. `addresses` receives what was found.
Finding check_addresses(Resolver& resolver, const std::string& name,
                        std::vector<std::string>& addresses);

/// One CAA property as dns::Record::data carries it: "flags tag value".
struct CaaProperty {
  int flags = 0;
  std::string tag;   // lower-cased
  std::string value; // unquoted
};
std::optional<CaaProperty> parse_caa(const std::string& data);

enum class CaaVerdict { permitted, forbidden, cannot_check };
struct CaaDecision {
  CaaVerdict verdict = CaaVerdict::permitted;
  std::string reason;
};

/// RFC 8659 §4 for one relevant RRset: a critical property with a tag the CA
/// does not know forbids; a wildcard looks at `issuewild` when present, else at
/// `issue`; no relevant property permits; otherwise an issuer domain must be
/// one of `identities` (the directory's meta.caaIdentities), and with none
/// known the answer is cannot_check (unless the set permits nobody at all).
CaaDecision decide_caa(const std::vector<CaaProperty>& rrset,
                       const std::vector<std::string>& identities, bool wildcard);

/// Climb from name (a "*." prefix marks a wildcard) towards the root, the
/// top-level domain included (RFC 8659 section 3), until a name has CAA
/// records, and judge that set.
/// `identities` unknown (nullopt) when the directory could not be read.
Finding check_caa(Resolver& resolver, const std::string& name,
                  const std::optional<std::vector<std::string>>& identities);

/// The -m address: well formed (as acme::contacts_from_email sees it) and its
/// domain has MX, else A/AAAA (RFC 5321 §5.1), and no null MX (RFC 7505).
Finding check_email(Resolver& resolver, const std::string& email);

} // namespace certsmith::preflight
