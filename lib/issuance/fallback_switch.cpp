#include "issuance/fallback_switch.hpp"

#include "acme/stored_identifier.hpp"
#include "issuance/fallback_kind.hpp"
#include "issuance/fallback_self_signed.hpp"
#include "issuance/fallback_user.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

std::vector<acme::Identifier> identifiers_to_renew(const store::RenewalParams& params,
                                                   std::vector<acme::Identifier> live) {
  if (!placeholder_is_live(params) || params.certsmith_names.empty())
    return live;
  std::vector<std::string> dns, ips;
  for (const auto& value : params.certsmith_names)
    (acme::stored_value_is_ip(value) ? ips : dns).push_back(value);
  try {
    return acme::make_identifiers(dns, ips);
  } catch (const Error& error) {
    util::log_warning("ignoring certsmith_names in the renewal conf: {}", error.what());
    return live;
  }
}

std::optional<std::string>
switch_to_fallback_if_expired(store::Lineage& lineage,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point live_not_after,
                              std::chrono::system_clock::time_point now) {
  store::RenewalParams params = lineage.params();
  bool bootstrap = live_kind_of(params) == LiveKind::self_signed_bootstrap;
  bool user = !params.certsmith_fallback_cert.empty() && !params.certsmith_fallback_key.empty();
  bool self_signed = params.certsmith_fallback_self_signed.value_or(false) || bootstrap;
  if ((!user && !self_signed) || live_not_after > now)
    return std::nullopt;
  std::optional<store::CertificateFiles> files;
  if (user) {
    try {
      files = load_user_fallback(params.certsmith_fallback_cert, params.certsmith_fallback_key,
                                 identifiers, now)
                  .files;
      params.certsmith_live_kind = live_kind_name(LiveKind::user_fallback);
    } catch (const UsageError& error) {
      if (!self_signed)
        throw UsageError(fmt::format("the fallback certificate cannot be used: {}", error.what()));
      util::log_warning("{}: the fallback certificate cannot be used ({}); using a self-signed "
                        "one",
                        lineage.name(), error.what());
    }
  }
  if (!files) {
    // A refreshed bootstrap stays one: nothing asked for a fallback.
    LiveKind kind = bootstrap && !params.certsmith_fallback_self_signed.value_or(false)
                        ? LiveKind::self_signed_bootstrap
                        : LiveKind::self_signed_fallback;
    files = self_signed_files(identifiers, params,
                              kind == LiveKind::self_signed_bootstrap
                                  ? "certsmith self-signed bootstrap"
                                  : "certsmith self-signed fallback",
                              now);
    params.certsmith_live_kind = live_kind_name(kind);
  }
  params.certsmith_names = identifier_values(identifiers);
  int version = store::save_successor(lineage, *files, params);
  return fmt::format("the certificate has expired: live/ now serves a {} certificate (version {}) "
                     "until renewal succeeds",
                     live_kind_label(live_kind_of(params)), version);
}

} // namespace certsmith::issuance
