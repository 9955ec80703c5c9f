#include "issuance/revoke_reason.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <array>
#include <fmt/format.h>
#include <utility>

namespace certsmith::issuance {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 10> k_reasons{{
    {"unspecified", 0},
    {"keycompromise", 1},
    {"cacompromise", 2},
    {"affiliationchanged", 3},
    {"superseded", 4},
    {"cessationofoperation", 5},
    {"certificatehold", 6},
    {"removefromcrl", 8},
    {"privilegewithdrawn", 9},
    {"aacompromise", 10},
}};

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

int parse_revocation_reason(std::string_view name) {
  std::string lowered;
  for (char c : name)
    lowered += lower(c);
  for (const auto& [reason, code] : k_reasons)
    if (lowered == reason)
      return code;
  std::string accepted;
  for (const auto& [reason, code] : k_reasons)
    accepted += fmt::format("{}{}", accepted.empty() ? "" : ", ", reason);
  throw UsageError(fmt::format("unknown revocation reason '{}': choose one of {}",
                               util::escape_untrusted(std::string(name), 100), accepted));
}

std::string revocation_reason_name(int code) {
  for (const auto& [reason, reason_code] : k_reasons)
    if (reason_code == code)
      return std::string(reason);
  return fmt::format("reason {}", code);
}

} // namespace certsmith::issuance
