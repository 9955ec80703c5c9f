#pragma once
// An identifier read back from where certsmith stored only its value (the
// names of a certificate, a renewal conf's certsmith_names): an IP address
// holds a ':' (IPv6) or only digits and dots (IPv4); a domain cannot, as its
// last label is never all digits (normalize_domain refuses that).

#include "acme/identifier.hpp"

#include <string>

namespace certsmith::acme {

inline bool stored_value_is_ip(const std::string& value) {
  return value.find(':') != std::string::npos ||
         value.find_first_not_of("0123456789.") == std::string::npos;
}

inline Identifier stored_identifier(std::string value) {
  return {stored_value_is_ip(value) ? "ip" : "dns", std::move(value)};
}

} // namespace certsmith::acme
