#include "issuance/kept_reuse.hpp"

#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"
#include "issuance/fallback.hpp"
#include "renew/due.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <chrono>
#include <set>
#include <string>

namespace certsmith::issuance {

namespace {

std::set<std::string> names_in(const crypto::CertificateFacts& facts) {
  std::set<std::string> names(facts.dns_names.begin(), facts.dns_names.end());
  names.insert(facts.ip_addresses.begin(), facts.ip_addresses.end());
  return names;
}

constexpr const char* k_due = "it is due for renewal";

struct Usable {
  store::KeptEntry entry;
  crypto::CertificateFacts facts;
};

// Why kept entry `name` cannot serve these names, or "" when it can (or
// when it is for other names). An expired entry is removed here, whatever its names.
std::string judge(const store::TreePaths& paths, const std::string& name,
                  const std::set<std::string>& wanted, const CertonlyRequest& request,
                  std::chrono::system_clock::time_point now, std::optional<Usable>& usable) {
  store::KeptEntry entry = store::read_kept(paths, name);
  auto facts = crypto::read_certificate(entry.files.cert_pem);
  if (now >= facts.not_after) { // whatever its names: it serves nobody any more
    store::remove_kept(paths, name);
    util::log_info("Removed the expired kept certificate {}.", util::escape_untrusted(name, 256));
    return {};
  }
  if (names_in(facts) != wanted || entry.params.server != request.server)
    return {}; // other names, or another CA's (staging's, say): not a candidate
  if (placeholder_is_live(entry.params))
    return "it is a self-signed placeholder";
  auto before = entry.params.renew_before_expiry
                    ? renew::parse_renew_before_expiry(*entry.params.renew_before_expiry, now)
                    : std::nullopt;
  if (renew::is_due(facts.not_before, facts.not_after, before, now))
    return k_due;
  static_cast<void>(crypto::read_certificate(entry.files.chain_pem));
  static_cast<void>(crypto::read_certificate(entry.files.fullchain_pem));
  if (entry.files.fullchain_pem != entry.files.cert_pem + entry.files.chain_pem)
    return "its fullchain is not its certificate followed by its chain";
  auto key = crypto::PrivateKey::from_pem(entry.files.privkey_pem);
  if (!crypto::certificate_matches_key(entry.files.cert_pem, entry.files.privkey_pem))
    return "its key does not match its certificate";
  if (request.key.key_type_given && key.spec().algorithm != request.key.spec.algorithm)
    return "its key is of another type than --key-type asks for";
  usable = Usable{std::move(entry), std::move(facts)};
  return {};
}

} // namespace

std::optional<CertonlyResult>
reuse_kept_certificate(const CertonlyRequest& request,
                       const std::vector<acme::Identifier>& identifiers, util::Clock& clock) {
  std::set<std::string> wanted;
  for (const auto& identifier : identifiers)
    wanted.insert(identifier.value);
  std::vector<std::string> names;
  try {
    names = store::list_kept(request.paths);
  } catch (const Error& error) {
    util::log_warning("kept certificates not considered: {}", error.what());
    return std::nullopt;
  }
  std::optional<Usable> usable;
  for (const auto& name : names) {
    std::string problem;
    try {
      problem = judge(request.paths, name, wanted, request, clock.now(), usable);
    } catch (const Error& error) {
      problem = error.what();
    }
    if (!problem.empty()) {
      if (problem == k_due) // it will be for renewal what it is: no news
        util::log_debug("kept certificate {} not reused: {}", name, problem);
      else
        util::log_warning("kept certificate {} not reused: {}", util::escape_untrusted(name, 256),
                          util::escape_untrusted(problem, 512));
    }
    if (usable)
      break;
  }
  if (!usable)
    return std::nullopt;

  const std::string lineage_name =
      request.cert_name
          ? *request.cert_name
          : store::choose_lineage_name(request.paths, lineage_name_base(identifiers.front()));
  store::validate_new_cert_name(lineage_name);
  // The lineage first, then the kept entry goes: a crash between leaves both,
  // and the next certonly keeps the lineage (the entry expires in time).
  // The kept conf's settings come back (hooks, webroot map, notify keys), with
  // this command line's flags over them, fallback flags included.
  store::RenewalParams params = certonly_renewal_params(request, usable->entry.params);
  record_fallback_settings(params, request.fallback, identifiers, clock.now());
  store::Lineage lineage =
      store::create_lineage(request.paths, lineage_name, usable->entry.files, params);
  store::remove_kept(request.paths, usable->entry.name);
  util::log_info("Reused the certificate kept when {} was deleted (serial {}); run certonly with "
                 "--force-renewal to obtain a new one instead.",
                 util::escape_untrusted(usable->entry.name, 256), usable->facts.serial_hex);

  CertonlyResult result;
  result.outcome = CertonlyResult::Outcome::reused;
  result.lineage_name = lineage.name();
  result.live_dir = lineage.live_dir().string();
  result.domains.assign(wanted.begin(), wanted.end());
  result.fullchain_path = lineage.fullchain_path().string();
  result.privkey_path = lineage.privkey_path().string();
  result.not_after = usable->facts.not_after;
  return result;
}

} // namespace certsmith::issuance
