#pragma once
// URLs the CA hands out, read by RFC 3986: resolving a relative reference (a
// Link header target, RFC 8288 §3.2) and comparing origins without being
// fooled by spelling (https://ca and https://CA:443 are one server).

#include <string>
#include <string_view>

namespace certsmith::acme {

/// RFC 3986 §5.2: the target URL of `reference` read relative to the absolute
/// URL `base` ("../2" against "https://ca/cert/1/x" is "https://ca/cert/2").
/// An absolute reference comes back with its dot segments removed. Nothing is
/// checked here: the caller judges the result (scheme, origin).
std::string resolve_url_reference(std::string_view reference, std::string_view base);

/// RFC 6454 origin of an absolute URL, normalised for comparison:
/// "scheme://host:port" with scheme and host lower-cased and the port made
/// explicit (443 for https, 80 for http; leading zeros dropped). "" when url
/// has no scheme or authority, carries userinfo ("https://ca@evil"), or has an
/// empty host or a port that is not a number up to 65535.
std::string origin_of(std::string_view url);

} // namespace certsmith::acme
