#pragma once
// A deliberately dumb HTTP/1.1 client on a plain socket, so challenge tests can
// send exactly the bytes a hostile or unusual validator would (no path cleanup).

#include <cstdint>
#include <optional>
#include <string>

namespace certsmith::testing {

struct RawReply {
  int status = 0;
  std::string head; // status line and headers
  std::string body;
};

/// Send "<request_line>\r\nHost: ...\r\nConnection: close\r\n\r\n" to address
/// (an IPv4 or IPv6 literal) and read until the server closes. nullopt when
/// the connection cannot be made.
std::optional<RawReply> raw_request(const std::string& address, std::uint16_t port,
                                    const std::string& request_line);

/// True when ::1 can be bound on this machine (IPv6 loopback present).
bool have_ipv6_loopback();

} // namespace certsmith::testing
