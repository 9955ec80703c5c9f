#include "challenge/serve_redirect.hpp"

#include <fmt/format.h>

namespace certsmith::challenge {

namespace {

constexpr std::size_t k_max_host_length = 253;
constexpr std::size_t k_max_label_length = 63;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool all_digits(std::string_view text) {
  if (text.empty() || text.size() > 5)
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  return true;
}

bool sane_hostname(std::string_view name) {
  if (!name.empty() && name.back() == '.') // the root's dot is allowed once
    name.remove_suffix(1);
  if (name.empty() || name.size() > k_max_host_length)
    return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
    } else if (is_alnum(c) || c == '-') {
      if (++label > k_max_label_length)
        return false;
    } else {
      return false;
    }
  }
  return label != 0;
}

bool sane_ipv6_literal(std::string_view inside) {
  if (inside.size() < 2 || inside.size() > 45)
    return false;
  for (char c : inside)
    if (!is_hex(c) && c != ':' && c != '.')
      return false;
  return inside.find(':') != std::string_view::npos;
}

void percent_encode(std::string& out, std::string_view text, bool keep_slash) {
  for (unsigned char c : text) {
    if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
}

} // namespace

std::optional<std::string> host_of_header(std::string_view header) {
  if (!header.empty() && header.front() == '[') {
    const auto close = header.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    const std::string_view rest = header.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !all_digits(rest.substr(1))))
      return std::nullopt;
    if (!sane_ipv6_literal(header.substr(1, close - 1)))
      return std::nullopt;
    return std::string(header.substr(0, close + 1));
  }
  std::string_view host = header;
  if (const auto colon = header.rfind(':'); colon != std::string_view::npos) {
    if (!all_digits(header.substr(colon + 1)))
      return std::nullopt;
    host = header.substr(0, colon);
  }
  if (!sane_hostname(host))
    return std::nullopt;
  return std::string(host);
}

std::optional<std::string>
https_location(std::string_view host_header, std::string_view path,
               const std::vector<std::pair<std::string, std::optional<std::string>>>& query) {
  const auto host = host_of_header(host_header);
  if (!host)
    return std::nullopt;
  std::string location = "https://" + *host;
  if (path.empty() || path.front() != '/')
    location += '/';
  percent_encode(location, path, true);
  char separator = '?';
  for (const auto& [key, value] : query) {
    location += separator;
    separator = '&';
    percent_encode(location, key, false);
    if (value) {
      location += '=';
      percent_encode(location, *value, false);
    }
  }
  return location;
}

} // namespace certsmith::challenge
