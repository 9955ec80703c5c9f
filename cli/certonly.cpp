#include "issuance/certonly.hpp"

#include "commands.hpp"
#include "http/transport.hpp"
#include "issuance/certonly_csr.hpp"
#include "issuance/certonly_metrics.hpp"
#include "issuance/renew_notify.hpp"
#include "preflight_run.hpp"
#include "prompt.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "renew/due.hpp"
#include "store/tree_lock.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

namespace certsmith::cli {

namespace {

// certbot: one authenticator, by its flag or by -a NAME (the same one twice is fine).
std::string authenticator_of(const Options& options) {
  std::vector<std::string> chosen;
  auto choose = [&chosen](bool given, const char* name) {
    if (given && std::find(chosen.begin(), chosen.end(), name) == chosen.end())
      chosen.push_back(name);
  };
  choose(options.standalone, "standalone");
  choose(options.webroot, "webroot");
  choose(options.manual, "manual");
  choose(options.dns_rfc2136, "dns-rfc2136");
  if (!options.authenticator.empty() &&
      std::find(chosen.begin(), chosen.end(), options.authenticator) == chosen.end())
    chosen.push_back(options.authenticator);
  if (chosen.size() > 1)
    throw UsageError("choose one authenticator: --standalone, --webroot, --manual, --dns-rfc2136 "
                     "or -a NAME");
  if (chosen.empty())
    throw UsageError("certonly needs an authenticator: --standalone, --webroot -w PATH, --manual "
                     "or --dns-rfc2136");
  return chosen.front();
}

int report_csr_result(const issuance::CertonlyCsrResult& result, const Options& options) {
  if (options.dry_run) {
    util::log_info("The dry run was successful.");
    return 0;
  }
  util::log_info("Successfully received certificate.\n"
                 "Certificate is saved at:            {}\n"
                 "Intermediate CA chain is saved at:  {}\n"
                 "Full certificate chain is saved at: {}\n"
                 "This certificate expires on {}.",
                 result.paths.cert.string(), result.paths.chain.string(),
                 result.paths.fullchain.string(), renew::format_utc_date(result.not_after));
  return 0;
}

} // namespace

int run_certonly(const Options& options) {
  issuance::CertonlyRequest request;
  request.paths = {options.config_dir, options.work_dir, options.logs_dir};
  request.server = options.server_url();
  request.domains = options.domains;
  request.ip_addresses = options.ip_addresses;
  request.cert_name = options.cert_name;
  request.expand = options.expand;
  request.duplicate = options.duplicate;
  request.authenticator = authenticator_of(options);
  if (request.authenticator == "webroot")
    request.webroot_map = issuance::build_webroot_map(options.domain_and_webroot_order);
  request.http01_port = static_cast<std::uint16_t>(options.http01_port);
  request.http01_address = options.http01_address;
  request.tls_alpn01_port = static_cast<std::uint16_t>(options.tls_alpn01_port);
  request.serve_token_dir = options.serve_token_dir;
  request.pref_challs = options.preferred_challenges;
  request.manual_auth_hook = options.manual_auth_hook;
  request.manual_cleanup_hook = options.manual_cleanup_hook;
  request.dns_rfc2136_credentials = options.dns_rfc2136_credentials;
  request.dns_rfc2136_propagation_seconds = options.dns_rfc2136_propagation_seconds;
  request.dns_resolvers = options.dns_resolvers;
  request.account = account_request(options);
  request.force_renewal = options.force_renewal;
  if (options.no_autorenew)
    request.autorenew = false;
  request.dry_run = options.dry_run;
  request.issuance_timeout = std::chrono::seconds(options.issuance_timeout);
  request.renew_with_new_domains = options.renew_with_new_domains;
  request.must_staple = options.must_staple;
  request.preferred_chain = options.preferred_chain;
  request.preferred_profile = options.preferred_profile;
  request.required_profile = options.required_profile;
  request.csr_path = options.csr;
  request.cert_path = options.cert_path;
  request.chain_path = options.chain_path;
  request.fullchain_path = options.fullchain_path;
  request.hooks = hook_config(options);
  request.fallback = {options.bootstrap_self_signed, options.fallback_self_signed,
                      options.fallback_cert, options.fallback_key, options.no_fallback};
  request.confirm = [&options](const std::string& question, bool non_interactive_answer,
                               const std::string& flag_hint) {
    return confirm(options, question, non_interactive_answer, flag_hint);
  };
  request.key = issuance::key_request_of(
      options.key_type, options.rsa_key_size, options.elliptic_curve,
      options.given.contains("key-type"), options.given.contains("rsa-key-size"),
      options.given.contains("elliptic-curve"), options.reuse_key,
      options.new_key || options.no_reuse_key); // --no-reuse-key: a new key, reuse_key unset

  request.rate_limits = {options.rate_limit_per_domain, options.rate_limit_duplicates,
                         options.strict_rate_limits, options.ignore_rate_limit_backoff};
  auto notify = notify_options(options.notify); // saved for the lineage below, checked now
  issuance::check_notify_flags(
      request.paths,
      options.cert_name.value_or(options.domains.empty() ? "" : options.domains.front()), notify);
  preflight_before_first_issuance(options);
  auto transport = make_transport(options);
  util::SystemClock clock;
  util::SystemProcessRunner process_runner;
  auto lock = store::TreeLock::acquire(request.paths);
  if (!request.csr_path.empty())
    return report_csr_result(issuance::run_certonly_csr(request, *transport, clock), options);
  issuance::CertonlyResult result;
  try {
    result = issuance::run_certonly(request, *transport, clock, process_runner);
  } catch (...) {
    if (!options.metrics_file.empty())
      issuance::write_certonly_metrics(options.metrics_file, request.paths,
                                       issuance::failed_certonly_figures(request, clock.now()),
                                       options.dry_run);
    throw;
  }
  if (!options.metrics_file.empty())
    issuance::write_certonly_metrics(options.metrics_file, request.paths,
                                     issuance::certonly_figures(result, clock.now()),
                                     options.dry_run);

  if (!options.dry_run)
    issuance::save_notify_flags(request.paths, result.lineage_name, notify);
  if (result.outcome == issuance::CertonlyResult::Outcome::kept) {
    util::log_info("Certificate not yet due for renewal; no action taken.");
    return 0;
  }
  if (options.dry_run) {
    util::log_info("The dry run was successful.");
    return 0;
  }
  util::log_info("{}\n"
                 "Certificate is saved at: {}\n"
                 "Key is saved at:         {}\n"
                 "This certificate expires on {}.\n"
                 "These files will be updated when the certificate renews.",
                 result.outcome == issuance::CertonlyResult::Outcome::reused
                     ? "Certificate restored from the one delete kept."
                     : "Successfully received certificate.",
                 result.fullchain_path, result.privkey_path,
                 renew::format_utc_date(result.not_after));
  return 0;
}

} // namespace certsmith::cli
