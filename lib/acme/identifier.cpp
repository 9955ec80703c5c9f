#include "acme/identifier.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <fmt/format.h>

namespace certsmith::acme {

namespace {

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
    return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

[[noreturn]] void refuse(std::string_view domain, std::string_view why) {
  throw UsageError(
      fmt::format("invalid domain '{}': {}", util::escape_untrusted(domain, 260), why));
}

} // namespace

std::string normalize_domain(std::string_view domain) {
  std::string name(domain);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  if (!name.empty() && name.back() == '.')
    name.pop_back();
  if (name.empty())
    refuse(domain, "it is empty");
  if (name.size() > 253)
    refuse(domain, "longer than 253 characters");
  std::string_view rest = name;
  if (rest.starts_with("*."))
    rest.remove_prefix(2);
  if (rest.find('*') != std::string_view::npos)
    refuse(domain, "a wildcard may only be the whole first label (*.example.com)");
  std::size_t labels = 0;
  for (std::size_t start = 0;;) {
    std::size_t dot = rest.find('.', start);
    std::string_view label = rest.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_ldh_label(label))
      refuse(domain, "only letters, digits, '-' and '.' are allowed, labels of 1-63 characters");
    ++labels;
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (labels < 2)
    refuse(domain, "not a fully qualified domain name");
  return name;
}

std::string normalize_ip_address(std::string_view address) {
  std::string text(address);
  unsigned char buffer[16];
  char canonical[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, text.c_str(), buffer) == 1 &&
        inet_ntop(family, buffer, canonical, sizeof canonical) != nullptr)
      return canonical;
  }
  throw UsageError(fmt::format("invalid IP address '{}'", util::escape_untrusted(address, 64)));
}

std::vector<Identifier> make_identifiers(const std::vector<std::string>& domains,
                                         const std::vector<std::string>& ip_addresses) {
  std::vector<Identifier> identifiers;
  auto add = [&identifiers](Identifier identifier) {
    if (std::find(identifiers.begin(), identifiers.end(), identifier) == identifiers.end())
      identifiers.push_back(std::move(identifier));
  };
  for (const auto& domain : domains)
    add({"dns", normalize_domain(domain)});
  for (const auto& address : ip_addresses)
    add({"ip", normalize_ip_address(address)});
  return identifiers;
}

} // namespace certsmith::acme
