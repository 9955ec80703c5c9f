#include "http/transport.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace certsmith::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

} // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Response::headers_named(std::string_view name) const {
  std::vector<std::string> found;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      found.push_back(value);
    }
  }
  return found;
}

std::string ca_bundle_from_environment() {
  const char* bundle = std::getenv("REQUESTS_CA_BUNDLE");
  return bundle != nullptr ? std::string(bundle) : std::string();
}

} // namespace certsmith::http
