#pragma once
// One lineage's ARI step of a renew run: ask the CA for the certificate's
// renewal window when the cache and certbot's ari_retry_after allow it,
// otherwise use what the cache remembers.

#include "acme/client.hpp"
#include "renew/ari_cache.hpp"
#include "renew/due.hpp"
#include "store/config_obj.hpp"

#include <optional>
#include <string>

namespace certsmith::renew {

struct AriCheck {
  std::optional<AriWindow> window; // for DueInputs::ari_window; nullopt = no ARI opinion
  std::string explanation_url;     // untrusted: escape before printing
  bool asked_ca = false;           // a renewalInfo request was made
  bool conf_changed = false;       // [acme_renewal_info] was updated: the caller writes the conf
  std::string warning; // why the CA's answer could not be used, "" when fine (untrusted text)
};

/// RFC 9773 §4.3 for the certificate cert_id (acme::ari_certificate_id) that
/// expires at not_after, whose lineage's renewal conf is conf:
/// - an expired certificate is never asked about;
/// - no request before the cache's next_fetch nor before certbot's
///   ari_retry_after (capped at a day ahead); the cached window is used;
/// - a CA without renewalInfo, or whose directory cannot be fetched, is
///   remembered for six hours, so it costs a run one request, not one per lineage;
/// - an answer is cached until its Retry-After (or six hours), a failure is
///   cached for six hours keeping the last window (§4.3.3), and either way
///   ari_retry_after is written into conf as certbot does.
/// Network, protocol and CA errors become `warning`; nothing is thrown for them.
AriCheck check_renewal_info(acme::Client& client, AriCache& cache, store::ConfigObj& conf,
                            const std::string& cert_id, TimePoint not_after, TimePoint now);

} // namespace certsmith::renew
