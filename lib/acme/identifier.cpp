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

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
}

// The ASCII bytes a user may type in a host name; anything else is named, so
// that "a;rm" reads as a shell accident, not as a puzzle. `text` is the typed
// domain, or its IDNA mapping (then `mapped` says so in the message).
void refuse_foreign_ascii(std::string_view domain, std::string_view text, std::string_view mapped) {
  auto refuse_because = [&](std::string_view why) {
    refuse(domain, fmt::format("{}{}", why, mapped));
  };
  for (unsigned char c : text) {
    if (c >= 0x80 || is_ascii_letter_or_digit(c) || c == '-' || c == '.' || c == '*')
      continue;
    if (c == 0)
      refuse_because("it contains a NUL byte");
    if (c < 0x20 || c == 0x7f)
      refuse_because("it contains a control character");
    if (c == ' ' || c == '\t')
      refuse_because("it contains a space");
    if (c == '/' || c == '\\')
      refuse_because("it contains a path separator");
    if (c == '\'' || c == '"' || c == '`')
      refuse_because("it contains a quote");
    if (c == '_')
      refuse_because("'_' is not allowed in a host name");
    if (c == ':' || c == '[' || c == ']')
      refuse_because("it contains ':' or brackets (for an IPv6 address use --ip-address)");
    refuse_because(fmt::format("it contains '{}' (only letters, digits, '-' and '.' are allowed)",
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
// IDN2_USE_STD3_ASCII_RULES is not passed: libidn2 2.3.3 then deletes a
// character that maps to a forbidden ASCII one ("a／b" becomes "ab") instead
// of refusing it. The STD3 rule (letters, digits, '-') is enforced instead on
// the mapped result by check_host_name, as UTS #46 (Unicode 16) describes it.
std::string to_a_labels(std::string_view domain, const std::string& name) {
  uint8_t* output = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(name.c_str()), &output,
                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | IDN2_ALABEL_ROUNDTRIP);
  std::unique_ptr<uint8_t, void (*)(void*)> owned(output, idn2_free);
  if (rc != IDN2_OK)
    refuse(domain, fmt::format("not a valid international domain name: {}", idn2_strerror(rc)));
  return reinterpret_cast<const char*>(owned.get());
}

// Empty labels, long labels and hyphens at a label's edge. Before libidn2 this
// sees only the ASCII dots (a full-width dot is still inside a "label" then),
// so the checks that need every label wait for check_host_name.
void check_label_shapes(std::string_view domain, std::string_view name, std::string_view mapped) {
  for (std::string_view label : split_labels(name)) {
    if (label.empty())
      refuse(domain, fmt::format("it has an empty label (a leading dot or '..'){}", mapped));
    // A U-label's length counts once it is punycode.
    if (is_ascii(label) && label.size() > k_max_label_length)
      refuse(domain, fmt::format("a label is longer than 63 characters{}", mapped));
    if (label.front() == '-' || label.back() == '-')
      refuse(domain, fmt::format("a label starts or ends with '-'{}", mapped));
  }
}

// What the name sent to the CA must be: ASCII letters, digits, '-' and dots
// only (UTS #46 maps full-width "／", "＊", "：" to their ASCII forms, which must
// not slip through), at least two labels, an alphabetic top label, not an
// address, at most 253 characters with the wildcard prefix.
void check_host_name(std::string_view domain, std::string_view ascii, bool wildcard,
                     std::string_view mapped) {
  refuse_foreign_ascii(domain, ascii, mapped);
  if (!is_ascii(ascii))
    refuse(domain, fmt::format("not a valid international domain name{}", mapped));
  if (ascii.starts_with("*.") && !wildcard)
    refuse(domain, fmt::format("write a wildcard with an ASCII '*' (*.example.com){}", mapped));
  if (ascii.find('*') != std::string_view::npos)
    refuse(domain,
           fmt::format("a wildcard may only be the whole first label (*.example.com){}", mapped));
  check_label_shapes(domain, ascii, mapped);
  if (is_ip_address(std::string(ascii)))
    refuse(domain, fmt::format("it is an IP address: request it with --ip-address{}", mapped));
  std::vector<std::string_view> labels = split_labels(ascii);
  if (labels.size() < 2)
    refuse(domain, fmt::format("not a fully qualified domain name (it needs at least two labels){}",
                               mapped));
  // Top-level domains are never all-numeric; such a name is an address or a typo.
  if (is_all_digits(labels.back()))
    refuse(domain, fmt::format("the last label is all digits{}", mapped));
  if (ascii.size() + (wildcard ? 2 : 0) > k_max_name_length)
    refuse(domain, fmt::format("longer than 253 characters{}", mapped));
}

std::string lower_ascii(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  return lower;
}

} // namespace

std::string normalize_domain(std::string_view domain) {
  if (is_ip_address(std::string(domain)))
    refuse(domain, "it is an IP address: request it with --ip-address");
  // The typed text first, so the common mistakes get our plainer words.
  refuse_foreign_ascii(domain, domain, "");
  std::string name = lower_ascii(domain);
  bool dropped_root_dot = !name.empty() && name.back() == '.';
  if (dropped_root_dot)
    name.pop_back();
  if (name.empty())
    refuse(domain, "it is empty");
  if (is_ascii(name) && name.size() > k_max_name_length)
    refuse(domain, "longer than 253 characters");

  std::string_view rest = name;
  bool wildcard = rest.starts_with("*.");
  if (wildcard)
    rest.remove_prefix(2);
  if (rest.find('*') != std::string_view::npos)
    refuse(domain, "a wildcard may only be the whole first label (*.example.com)");
  check_label_shapes(domain, rest, "");

  // Then the A-label form, which is what the CA, the CSR and the file names
  // get: IDNA mapping may have produced any ASCII (see check_host_name).
  std::string ascii = to_a_labels(domain, std::string(rest));
  // "example.com。" is the rooted name, like "example.com.": one root dot is dropped.
  if (!dropped_root_dot && ascii.size() > 1 && ascii.back() == '.')
    ascii.pop_back();
  std::string mapped =
      ascii == rest ? std::string()
                    : fmt::format("; IDNA maps it to '{}'", util::escape_untrusted(ascii, 260));
  check_host_name(domain, ascii, wildcard, mapped);
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
