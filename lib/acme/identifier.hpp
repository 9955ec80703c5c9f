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

/// Normalize and check a domain from the user: lower-case, one trailing dot
/// dropped, an international name converted to punycode A-labels (UTS #46
/// non-transitional, libidn2), "xn--" labels checked to decode and re-encode to
/// themselves. Full-width and ideographic dots ("．", "。", "｡") separate
/// labels, as UTS #46 maps them to '.'. Every check below applies both to the
/// typed text and to the A-label result, so a character that IDNA maps to a
/// forbidden ASCII one ("／" to '/', "＊" to '*') is refused too. Refused with
/// UsageError naming the domain (escaped) and the reason (and the mapped form
/// when IDNA changed it): control, space, quote, shell or path characters; empty labels;
/// labels over 63 or names over 253 characters; a label starting or ending
/// with '-'; a wildcard other than the whole first label ("*.example.com");
/// fewer than two labels; an all-digit last label; an IP address (use
/// --ip-address); anything libidn2 rejects, with its reason.
std::string normalize_domain(std::string_view domain);

/// Canonical text of an IPv4/IPv6 address; throws UsageError otherwise.
std::string normalize_ip_address(std::string_view address);

/// Identifiers in the user's order, duplicates dropped.
std::vector<Identifier> make_identifiers(const std::vector<std::string>& domains,
                                         const std::vector<std::string>& ip_addresses);

} // namespace certsmith::acme
