#include "acme/identifier.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <idn2.h>
#include <memory>

namespace certsmith::acme {

namespace {

constexpr std::size_t k_max_name_length = 253;
constexpr std::size_t k_max_label_length = 63;

[[noreturn]] void refuse(std::string_view domain, std::string_view why) {
  throw UsageError(
      fmt::format("invalid domain '{}': {}", util::escape_untrusted(domain, 260), why));
}

bool is_ascii_letter_or_digit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The ASCII bytes a user may type in a host name; anything else is named, so
// that "a;rm" reads as a shell accident, not as a puzzle.
void refuse_foreign_ascii(std::string_view domain) {
  for (unsigned char c : domain) {
    if (c >= 0x80 || is_ascii_letter_or_digit(c) || c == '-' || c == '.' || c == '*')
      continue;
    if (c == 0)
      refuse(domain, "it contains a NUL byte");
    if (c < 0x20 || c == 0x7f)
      refuse(domain, "it contains a control character");
    if (c == ' ' || c == '\t')
      refuse(domain, "it contains a space");
    if (c == '/' || c == '\\')
      refuse(domain, "it contains a path separator");
    if (c == '\'' || c == '"' || c == '`')
      refuse(domain, "it contains a quote");
    if (c == '_')
      refuse(domain, "'_' is not allowed in a host name");
    if (c == ':' || c == '[' || c == ']')
      refuse(domain, "it contains ':' or brackets (for an IPv6 address use --ip-address)");
    refuse(domain, fmt::format("it contains '{}' (only letters, digits, '-' and '.' are allowed)",
                               static_cast<char>(c)));
  }
}

bool is_all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::vector<std::string_view> split_labels(std::string_view name) {
  std::vector<std::string_view> labels;
  for (std::size_t start = 0;;) {
    std::size_t dot = name.find('.', start);
    labels.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos)
      return labels;
    start = dot + 1;
  }
}

// UTS #46 non-transitional lookup with libidn2: U-labels become punycode
// A-labels, and "xn--" labels must decode and re-encode to themselves.
std::string to_a_labels(std::string_view domain, const std::string& name) {
  uint8_t* output = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(name.c_str()), &output,
                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | IDN2_ALABEL_ROUNDTRIP);
  std::unique_ptr<uint8_t, void (*)(void*)> owned(output, idn2_free);
  if (rc != IDN2_OK)
    refuse(domain, fmt::format("not a valid international domain name: {}", idn2_strerror(rc)));
  return reinterpret_cast<const char*>(owned.get());
}

void check_labels(std::string_view domain, std::string_view name) {
  std::vector<std::string_view> labels = split_labels(name);
  for (std::string_view label : labels) {
    if (label.empty())
      refuse(domain, "it has an empty label (a leading dot or '..')");
    // A U-label's length counts once it is punycode.
    bool ascii = std::all_of(label.begin(), label.end(), [](unsigned char c) { return c < 0x80; });
    if (ascii && label.size() > k_max_label_length)
      refuse(domain, "a label is longer than 63 characters");
    if (label.front() == '-' || label.back() == '-')
      refuse(domain, "a label starts or ends with '-'");
  }
  if (labels.size() < 2)
    refuse(domain, "not a fully qualified domain name (it needs at least two labels)");
  // Top-level domains are never all-numeric; such a name is an address or a typo.
  if (is_all_digits(labels.back()))
    refuse(domain, "the last label is all digits");
}

} // namespace

std::string normalize_domain(std::string_view domain) {
  if (is_ip_address(std::string(domain)))
    refuse(domain, "it is an IP address: request it with --ip-address");
  refuse_foreign_ascii(domain);
  std::string name(domain);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  if (!name.empty() && name.back() == '.')
    name.pop_back();
  if (name.empty())
    refuse(domain, "it is empty");
  bool all_ascii = std::all_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x80; });
  if (all_ascii && name.size() > k_max_name_length)
    refuse(domain, "longer than 253 characters");
  if (is_ip_address(name))
    refuse(domain, "it is an IP address: request it with --ip-address");

  std::string_view rest = name;
  bool wildcard = rest.starts_with("*.");
  if (wildcard)
    rest.remove_prefix(2);
  if (rest.find('*') != std::string_view::npos)
    refuse(domain, "a wildcard may only be the whole first label (*.example.com)");
  // Label checks before libidn2, so the common mistakes get our plainer words.
  check_labels(domain, rest);
  std::string ascii = to_a_labels(domain, std::string(rest));
  check_labels(domain, ascii);
  if (ascii.size() + (wildcard ? 2 : 0) > k_max_name_length)
    refuse(domain, "longer than 253 characters");
  return wildcard ? "*." + ascii : ascii;
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
