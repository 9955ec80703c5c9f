#include "issuance/reconfigure.hpp"

#include "commands.hpp"
#include "store/tree_lock.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::cli {

namespace {

// Only the flags given change a setting: a default is not a wish.
issuance::RenewalChanges changes_of(const Options& options) {
  auto given = [&options](const char* name) { return options.given.count(name) > 0; };
  issuance::RenewalChanges changes;
  int chosen = int(options.standalone) + int(options.webroot) + int(given("authenticator"));
  if (chosen > 1)
    throw UsageError("choose one authenticator: --standalone, --webroot or -a NAME");
  if (options.standalone)
    changes.authenticator = "standalone";
  else if (options.webroot)
    changes.authenticator = "webroot";
  else if (given("authenticator"))
    changes.authenticator = options.authenticator;
  if (!options.webroot_paths.empty())
    changes.webroot_paths = options.webroot_paths;
  if (given("http-01-port"))
    changes.http01_port = options.http01_port;
  if (given("http-01-address"))
    changes.http01_address = options.http01_address;
  if (given("serve-token-dir"))
    changes.serve_token_dir = options.serve_token_dir;
  if (given("pre-hook"))
    changes.pre_hook = options.pre_hook;
  if (given("post-hook"))
    changes.post_hook = options.post_hook;
  if (given("deploy-hook"))
    changes.renew_hook = options.deploy_hook;
  changes.key = issuance::key_request_of(
      options.key_type, options.rsa_key_size, options.elliptic_curve, given("key-type"),
      given("rsa-key-size"), given("elliptic-curve"), options.reuse_key,
      options.new_key || options.no_reuse_key); // --no-reuse-key: records reuse_key = False
  if (given("server") || options.staging)
    changes.server = options.server_url();
  if (given("preferred-chain"))
    changes.preferred_chain = options.preferred_chain;
  if (given("preferred-profile"))
    changes.preferred_profile = options.preferred_profile;
  if (given("required-profile"))
    changes.required_profile = options.required_profile;
  if (options.bootstrap_self_signed)
    throw UsageError("--bootstrap-self-signed is for a new certificate (certonly)");
  changes.fallback = {false, options.fallback_self_signed, options.fallback_cert,
                      options.fallback_key, options.no_fallback};
  return changes;
}

} // namespace

int run_reconfigure(const Options& options) {
  if (!options.cert_name)
    throw UsageError("reconfigure needs --cert-name NAME (see certsmith certificates)");
  if (!options.domains.empty() || !options.ip_addresses.empty())
    throw UsageError("reconfigure keeps the certificate's names: use certonly --cert-name NAME "
                     "-d ... to change them");
  if (options.dry_run)
    throw UsageError("reconfigure always tests the new settings with a dry run; leave out "
                     "--dry-run");
  issuance::ReconfigureRequest request;
  request.paths = {options.config_dir, options.work_dir, options.logs_dir};
  request.cert_name = *options.cert_name;
  request.changes = changes_of(options);
  request.notify = notify_options(options.notify);
  request.account = account_request(options);
  request.issuance_timeout = std::chrono::seconds(options.issuance_timeout);
  request.hooks = hook_config(options);
  // The command-line hooks are settings here; they run through the conf's values.
  request.hooks.pre_hooks.clear();
  request.hooks.post_hooks.clear();
  request.hooks.deploy_hooks.clear();

  auto transport = make_transport(options);
  util::SystemClock clock;
  util::SystemProcessRunner process_runner;
  auto lock = store::TreeLock::acquire(request.paths);
  issuance::ReconfigureResult result =
      issuance::reconfigure_lineage(request, *transport, clock, process_runner);

  if (!result.changed) {
    util::log_info("{}: the renewal configuration already has these settings; nothing changed.",
                   request.cert_name);
    return 0;
  }
  for (const auto& failure : result.hook_failures)
    util::log_warning("{} hook failed: {}: {}", hooks::stage_name(failure.stage),
                      util::escape_untrusted(failure.hook, 200), failure.reason);
  if (!result.dry_run_server.empty()) // a fallback-only change needs no proof
    util::log_info("The dry run was successful.");
  util::log_info("Successfully updated configuration.\n"
                 "Changes will apply when the certificate renews.");
  return 0;
}

} // namespace certsmith::cli
