#pragma once
// RFC 8555 §7.1.3 identifiers ("dns", and "ip" from RFC 8738), and the checks a
// name passes before it may reach a path, a CSR or a hook's environment.

#include <string>
#include <string_view>
#include <vector>

namespace certsmith::acme {

struct Identifier {
  std::string type;  // "dns" or "ip"
  std::string value; // lower-case domain (may start with "*.") or canonical IP text
  bool operator==(const Identifier&) const = default;
  bool operator<(const Identifier& other) const {
    return type != other.type ? type < other.type : value < other.value;
  }
};

/// Normalize and check a domain from the user (lower-case, trailing dot dropped,
/// IDNs must already be punycode). Throws UsageError naming the domain for anything
/// that is not a valid host name with at least two labels, or "*." + one.
std::string normalize_domain(std::string_view domain);

/// Canonical text of an IPv4/IPv6 address; throws UsageError otherwise.
std::string normalize_ip_address(std::string_view address);

/// Identifiers in the user's order, duplicates dropped.
std::vector<Identifier> make_identifiers(const std::vector<std::string>& domains,
                                         const std::vector<std::string>& ip_addresses);

} // namespace certsmith::acme
