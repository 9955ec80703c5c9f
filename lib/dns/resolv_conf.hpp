#pragma once
// Reading /etc/resolv.conf, split out so the parsing is testable without the file.

#include "dns/dns_client.hpp"

#include <string>
#include <vector>

namespace certsmith::dns {

/// The `nameserver` lines of resolv.conf text, in order; lines that are not an
/// address literal (or are commented out) are skipped, as the C library does.
std::vector<NameServer> parse_resolv_conf(const std::string& text);

/// "127.0.0.1:53", "[::1]:5353": how a server is named in messages.
std::string describe(const NameServer& server);

} // namespace certsmith::dns
