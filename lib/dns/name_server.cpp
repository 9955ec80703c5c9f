// Name servers from the user (--dns-resolvers, dns_rfc2136_server) and from
// /etc/resolv.conf. Only address literals: resolving a host name here would
// need the very DNS whose answers we are about to check.

#include "dns/dns_client.hpp"
#include "dns/resolv_conf.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

namespace certsmith::dns {
namespace {

/// The canonical text of an IPv4 or IPv6 literal, or nothing.
std::optional<std::string> canonical_address(const std::string& text) {
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return std::string(inet_ntop(AF_INET, bytes, out, sizeof out));
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    return std::string(inet_ntop(AF_INET6, bytes, out, sizeof out));
  }
  return std::nullopt;
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<NameServer> try_parse(const std::string& text, std::uint16_t default_port) {
  std::string address = text;
  std::optional<std::uint16_t> port = default_port;
  if (!text.empty() && text.front() == '[') { // [v6] or [v6]:port
    auto close = text.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    address = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      port = parse_port(rest.substr(1));
    }
    if (address.find(':') == std::string::npos) { // brackets are for IPv6 only
      return std::nullopt;
    }
  } else if (auto colon = text.find(':');
             colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
    address = text.substr(0, colon); // v4:port (one colon); more colons is a bare IPv6
    port = parse_port(text.substr(colon + 1));
    if (address.find('.') == std::string::npos) {
      return std::nullopt;
    }
  }
  auto canonical = canonical_address(address);
  if (!canonical || !port) {
    return std::nullopt;
  }
  return NameServer{*canonical, *port};
}

} // namespace

NameServer parse_name_server(const std::string& text, std::uint16_t default_port) {
  if (auto server = try_parse(text, default_port)) {
    return *server;
  }
  throw UsageError("'" + util::escape_untrusted(text, 100) +
                   "' is not a DNS server address: give an IPv4 or IPv6 address, optionally with "
                   "a port (127.0.0.1:5353, [::1]:5353)");
}

std::string describe(const NameServer& server) {
  if (server.address.find(':') != std::string::npos) {
    return "[" + server.address + "]:" + std::to_string(server.port);
  }
  return server.address + ":" + std::to_string(server.port);
}

std::vector<NameServer> parse_resolv_conf(const std::string& text) {
  std::vector<NameServer> servers;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword >> address) || keyword != "nameserver") {
      continue;
    }
    // glibc reads only the address; a "%scope" suffix or garbage makes the line useless to us.
    if (auto canonical = canonical_address(address)) {
      servers.push_back(NameServer{*canonical, 53});
    }
  }
  return servers;
}

std::vector<NameServer> system_resolvers() {
  std::ifstream file("/etc/resolv.conf");
  if (!file) {
    return {};
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_resolv_conf(text.str());
}

} // namespace certsmith::dns
