#include "acme/contact.hpp"

#include "acme/identifier.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <string_view>

namespace certsmith::acme {

namespace {

constexpr std::size_t k_max_local_part = 64;    // RFC 5321 §4.5.3.1.1
constexpr std::size_t k_max_address_size = 254; // RFC 5321 path limit less the brackets

std::string_view trim(std::string_view text) {
  auto not_space = [](unsigned char c) { return c != ' ' && c != '\t'; };
  auto first = std::find_if(text.begin(), text.end(), not_space);
  auto last = std::find_if(text.rbegin(), text.rend(), not_space).base();
  return first < last ? std::string_view(&*first, static_cast<std::size_t>(last - first))
                      : std::string_view();
}

bool starts_with_mailto(std::string_view text) {
  constexpr std::string_view prefix = "mailto:";
  if (text.size() < prefix.size())
    return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
  });
}

// RFC 5322 atext, less the backquote (a shell quote no real mailbox needs).
bool is_atext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return std::string_view("!#$%&'*+-/=?^_{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

class AddressCheck {
public:
  explicit AddressCheck(std::string_view address) : m_address(address) {}

  [[noreturn]] void refuse(std::string_view why) const {
    throw UsageError(
        fmt::format("invalid email address '{}': {}", util::escape_untrusted(m_address, 300), why));
  }

  // The local part is checked as typed; the domain becomes punycode.
  std::string normalized() const {
    for (unsigned char c : m_address) {
      if (c < 0x20 || c == 0x7f)
        refuse("it contains a control character");
      if (c == ' ')
        refuse("it contains a space");
      if (c == '"' || c == '`')
        refuse("it contains a quote (quoted local parts are not supported)");
      if (c == '<' || c == '>')
        refuse("give the bare address, without angle brackets");
    }
    std::size_t at = m_address.rfind('@');
    if (at == std::string_view::npos)
      refuse("it has no '@'");
    std::string_view local = m_address.substr(0, at);
    std::string_view domain = m_address.substr(at + 1);
    check_local_part(local);
    if (domain.empty())
      refuse("the domain after '@' is empty");
    if (domain.starts_with("*") || domain.starts_with("["))
      refuse("the part after '@' must be a domain name");
    std::string ascii_domain;
    try {
      ascii_domain = normalize_domain(domain);
    } catch (const UsageError& error) {
      refuse(error.what());
    }
    std::string address = fmt::format("{}@{}", local, ascii_domain);
    if (address.size() > k_max_address_size)
      refuse("longer than 254 characters");
    return address;
  }

private:
  void check_local_part(std::string_view local) const {
    if (local.empty())
      refuse("the part before '@' is empty");
    if (local.size() > k_max_local_part)
      refuse("the part before '@' is longer than 64 characters");
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
      refuse("the part before '@' has a misplaced '.'");
    for (unsigned char c : local) {
      if (c == '@')
        refuse("it has more than one '@'");
      if (c != '.' && !is_atext(c))
        refuse(c >= 0x80 ? std::string("the part before '@' must be ASCII")
                         : fmt::format("'{}' is not allowed before '@'", static_cast<char>(c)));
    }
  }

  std::string_view m_address;
};

} // namespace

std::vector<std::string> contacts_from_email(const std::string& email) {
  std::vector<std::string> contacts;
  std::string_view rest = email;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    // A "mailto:" typed by the user is the scheme we add anyway.
    if (starts_with_mailto(item)) {
      item = trim(item.substr(7));
      if (item.empty())
        throw UsageError("invalid email address 'mailto:': no address after 'mailto:'");
    }
    // certbot ignores empty items of the list ("a@b.c," or "a@b.c,,d@e.f").
    if (!item.empty()) {
      std::string contact = "mailto:" + AddressCheck(item).normalized();
      if (std::find(contacts.begin(), contacts.end(), contact) == contacts.end())
        contacts.push_back(std::move(contact));
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return contacts;
}

} // namespace certsmith::acme
