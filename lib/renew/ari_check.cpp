#include "renew/ari_check.hpp"

#include "renew/ari_conf.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace certsmith::renew {

namespace {

void use_cached(const AriCache& cache, const std::string& cert_id, AriCheck& check) {
  if (const AriCacheEntry* entry = cache.find(cert_id)) {
    check.window = entry->window;
    check.explanation_url = entry->explanation_url;
  }
}

} // namespace

AriCheck check_renewal_info(acme::Client& client, AriCache& cache, store::ConfigObj& conf,
                            const std::string& cert_id, TimePoint not_after, TimePoint now) {
  AriCheck check;
  // RFC 9773 §4.3: clients MUST stop checking after the certificate expired.
  if (now >= not_after)
    return check;
  use_cached(cache, cert_id, check);
  if (!cache.may_fetch(cert_id, now))
    return check;
  // certbot's mark is per lineage; a far-future one (certbot does not clamp) waits a day at most.
  if (auto certbot_mark = read_ari_retry_after(conf);
      certbot_mark && now < *certbot_mark && *certbot_mark <= now + acme::k_max_ari_retry_after)
    return check;
  if (cache.server_lacks_ari(client.directory_url(), now))
    return check;

  try {
    // One unreachable or ARI-less CA must not cost every lineage of the run a request.
    bool offers_ari = false;
    try {
      offers_ari = !client.directory().renewal_info.empty();
    } catch (const Error&) {
      cache.record_server_without_ari(client.directory_url(), now);
      throw;
    }
    if (!offers_ari) {
      cache.record_server_without_ari(client.directory_url(), now);
      return check;
    }
    check.asked_ca = true;
    acme::RenewalInfo info = client.fetch_renewal_info(cert_id);
    cache.record_answer(cert_id, info, now);
    check.window = AriWindow{info.window_start, info.window_end};
    check.explanation_url = info.explanation_url;
  } catch (const Error& error) {
    if (check.asked_ca)
      cache.record_failure(cert_id, now);
    check.warning = error.what();
  }
  if (check.asked_ca) {
    write_ari_retry_after(conf, cache.find(cert_id)->next_fetch);
    check.conf_changed = true;
  }
  return check;
}

} // namespace certsmith::renew
