#pragma once
// `certsmith serve --redirect-https`: the Location a plain-HTTP request for
// anything but a challenge is sent to. The Host header is the client's word,
// so it is checked before it becomes part of a response header.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certsmith::challenge {

/// The host part of a Host header ("example.com", "example.com:8080",
/// "[2001:db8::1]:80") without its port, or nullopt when it is not a sane
/// host name or IP literal: empty, longer than 253, any byte outside letters,
/// digits, '-', '.' (a bracketed IPv6 literal: hex digits, ':', '.'), an empty
/// label, a port that is not 1-5 digits. So CR, LF, spaces, '/', '@' and the
/// like never reach a Location header.
std::optional<std::string> host_of_header(std::string_view host_header);

/// "https://HOST/PATH?QUERY": path (already percent-decoded by the server) and
/// the decoded query arguments re-encoded, every byte outside RFC 3986's
/// unreserved set (and '/' in the path) as %XX. nullopt when host_header is
/// refused by host_of_header. The port is dropped: HTTPS is on 443.
std::optional<std::string>
https_location(std::string_view host_header, std::string_view path,
               const std::vector<std::pair<std::string, std::optional<std::string>>>& query);

} // namespace certsmith::challenge
