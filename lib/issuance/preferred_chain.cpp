#include "issuance/preferred_chain.hpp"

#include "crypto/certificate.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <optional>

namespace certsmith::issuance {

namespace {

// The alternate at url when it is a usable chain for leaf_pem, else nullopt.
std::optional<std::string> fetch_alternate(acme::Client& client, const std::string& url,
                                           const std::string& leaf_pem) {
  std::string pem;
  try {
    pem = client.download_certificate(url).pem;
    if (crypto::is_chain_for_leaf(pem, leaf_pem))
      return pem;
    util::log_debug("the alternate chain at {} is not a chain for this certificate; skipped",
                    util::escape_untrusted(url, 200));
  } catch (const Error& error) {
    util::log_debug("the alternate chain at {} is unusable ({}); skipped",
                    util::escape_untrusted(url, 200), error.what());
  }
  return std::nullopt;
}

} // namespace

bool chain_leads_to(const std::string& chain_pem, const std::string& wanted_root) {
  return crypto::top_issuer_common_name(chain_pem) == wanted_root;
}

std::string choose_chain(acme::Client& client, const acme::CertificateChain& downloaded,
                         const std::string& wanted_root) {
  if (chain_leads_to(downloaded.pem, wanted_root))
    return downloaded.pem;
  const std::string leaf_pem = crypto::split_pem_chain(downloaded.pem).front();
  std::size_t fetched = 0;
  for (const auto& url : downloaded.alternate_urls) {
    if (fetched == k_max_alternate_chains) {
      util::log_debug("the CA links {} alternate chains; looked at the first {}",
                      downloaded.alternate_urls.size(), k_max_alternate_chains);
      break;
    }
    ++fetched;
    std::optional<std::string> alternate = fetch_alternate(client, url, leaf_pem);
    if (alternate && chain_leads_to(*alternate, wanted_root)) {
      util::log_debug("using the alternate chain at {}", util::escape_untrusted(url, 200));
      return *alternate;
    }
  }
  // certbot's words, so scripts that watch for them keep working.
  util::log_warning("certsmith has been configured to prefer certificate chains with issuer '{}', "
                    "but no chain from the CA matched this issuer. Using the default certificate "
                    "chain instead.",
                    util::escape_untrusted(wanted_root, 200));
  return downloaded.pem;
}

} // namespace certsmith::issuance
