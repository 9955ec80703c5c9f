#include "acme/contact.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::acme {

namespace {

std::string trim(std::string text) {
  auto not_space = [](unsigned char c) { return c != ' ' && c != '\t'; };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

bool plausible_email(const std::string& address) {
  auto at = address.find('@');
  if (at == std::string::npos || at == 0 || at != address.rfind('@') || address.size() > 254)
    return false;
  std::string domain = address.substr(at + 1);
  if (domain.find('.') == std::string::npos || domain.front() == '.' || domain.back() == '.')
    return false;
  return std::all_of(address.begin(), address.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7F && c != ',' && c != '<' && c != '>' && c != '"' && c != '\\';
  });
}

} // namespace

std::vector<std::string> contacts_from_email(const std::string& email) {
  std::vector<std::string> contacts;
  std::size_t start = 0;
  while (start <= email.size()) {
    std::size_t comma = email.find(',', start);
    std::string address =
        trim(email.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!address.empty()) {
      if (!plausible_email(address))
        throw UsageError(
            fmt::format("invalid email address '{}'", util::escape_untrusted(address, 100)));
      contacts.push_back("mailto:" + address);
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return contacts;
}

} // namespace certsmith::acme
