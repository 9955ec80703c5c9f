#pragma once
// The registered domain of a name, as Let's Encrypt counts "certificates per
// registered domain": the public suffix plus one label (www.example.co.uk ->
// example.co.uk), from the system's Public Suffix List through libpsl.

#include <string>
#include <string_view>

namespace certsmith::ratelimit {

/// Lower-cased; a wildcard's "*." is dropped; a name that is itself a public
/// suffix, or an IP address, is its own registered domain.
std::string registered_domain(std::string_view name);

} // namespace certsmith::ratelimit
