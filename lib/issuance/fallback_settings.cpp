#include "issuance/fallback_settings.hpp"

#include "issuance/fallback_user.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <filesystem>

namespace certsmith::issuance {

void check_fallback_options(const FallbackOptions& options,
                            const std::vector<acme::Identifier>& identifiers,
                            std::chrono::system_clock::time_point now) {
  if (options.fallback_cert.empty() != options.fallback_key.empty())
    throw UsageError("--fallback-cert and --fallback-key go together");
  if (options.no_fallback && (options.fallback_self_signed || !options.fallback_cert.empty()))
    throw UsageError("--no-fallback cannot be combined with --fallback-self-signed or "
                     "--fallback-cert");
  if (!options.fallback_cert.empty())
    load_user_fallback(options.fallback_cert, options.fallback_key, identifiers, now);
}

void record_fallback_settings(store::RenewalParams& params, const FallbackOptions& options,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point now) {
  check_fallback_options(options, identifiers, now);
  if (options.no_fallback) {
    params.certsmith_fallback_self_signed.reset();
    params.certsmith_fallback_cert.clear();
    params.certsmith_fallback_key.clear();
    return;
  }
  if (options.fallback_self_signed)
    params.certsmith_fallback_self_signed = true;
  if (options.fallback_cert.empty())
    return;
  params.certsmith_fallback_cert =
      std::filesystem::absolute(options.fallback_cert).lexically_normal().string();
  params.certsmith_fallback_key =
      std::filesystem::absolute(options.fallback_key).lexically_normal().string();
}

bool save_fallback_settings(store::Lineage& lineage, const FallbackOptions& options,
                            const std::vector<acme::Identifier>& identifiers,
                            std::chrono::system_clock::time_point now) {
  store::RenewalParams params = lineage.params();
  record_fallback_settings(params, options, identifiers, now);
  if (params == lineage.params())
    return false;
  store::ConfigObj conf = lineage.conf();
  store::write_renewal_params(conf, params);
  store::write_file_atomic(lineage.conf_path(), conf.to_string(), 0644);
  util::log_info("Saved the fallback settings of {} in its renewal configuration.", lineage.name());
  return true;
}

} // namespace certsmith::issuance
