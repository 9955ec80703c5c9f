#include "issuance/fallback_settings.hpp"

#include "issuance/fallback_user.hpp"
#include "util/error.hpp"

#include <filesystem>

namespace certsmith::issuance {

void record_fallback_settings(store::RenewalParams& params, const FallbackOptions& options,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point now) {
  if (options.fallback_cert.empty() != options.fallback_key.empty())
    throw UsageError("--fallback-cert and --fallback-key go together");
  if (options.no_fallback && (options.fallback_self_signed || !options.fallback_cert.empty()))
    throw UsageError("--no-fallback cannot be combined with --fallback-self-signed or "
                     "--fallback-cert");
  if (options.no_fallback) {
    params.certsmith_fallback_self_signed.reset();
    params.certsmith_fallback_cert.clear();
    params.certsmith_fallback_key.clear();
    return;
  }
  if (!options.fallback_cert.empty())
    load_user_fallback(options.fallback_cert, options.fallback_key, identifiers, now);
  if (options.fallback_self_signed)
    params.certsmith_fallback_self_signed = true;
  if (options.fallback_cert.empty())
    return;
  params.certsmith_fallback_cert =
      std::filesystem::absolute(options.fallback_cert).lexically_normal().string();
  params.certsmith_fallback_key =
      std::filesystem::absolute(options.fallback_key).lexically_normal().string();
}

} // namespace certsmith::issuance
