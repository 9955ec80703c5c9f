#include "ratelimit/registered_domain.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <libpsl.h>

namespace certsmith::ratelimit {

namespace {

/// The newest list on the system (Debian's publicsuffix package) or, failing
/// that, the one built into libpsl; loaded once, read-only afterwards, so it
/// is safe to share between renewal workers.
const psl_ctx_t* public_suffixes() {
  static const psl_ctx_t* context = [] {
    const psl_ctx_t* loaded = psl_latest(nullptr);
    return loaded != nullptr ? loaded : psl_builtin();
  }();
  return context;
}

bool is_ip_address(const std::string& name) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

} // namespace

std::string registered_domain(std::string_view name) {
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered.starts_with("*."))
    lowered.erase(0, 2);
  while (!lowered.empty() && lowered.back() == '.')
    lowered.pop_back();
  if (lowered.empty() || is_ip_address(lowered) || public_suffixes() == nullptr)
    return lowered;
  const char* registrable = psl_registrable_domain(public_suffixes(), lowered.c_str());
  return registrable != nullptr ? std::string(registrable) : lowered;
}

} // namespace certsmith::ratelimit
