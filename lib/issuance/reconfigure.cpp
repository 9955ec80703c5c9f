#include "issuance/reconfigure.hpp"

#include "crypto/certificate.hpp"
#include "issuance/fallback_switch.hpp"
#include "issuance/issue_lineage.hpp"
#include "issuance/key_request.hpp"
#include "issuance/lineage_lookup.hpp"
#include "issuance/renew_notify.hpp"
#include "issuance/run_context.hpp"
#include "issuance/webroot_map.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <filesystem>
#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

constexpr const char* k_letsencrypt_production = "https://acme-v02.api.letsencrypt.org/directory";
constexpr const char* k_letsencrypt_staging =
    "https://acme-staging-v02.api.letsencrypt.org/directory";

template <typename T> void change(T& setting, const std::optional<T>& wanted) {
  if (wanted)
    setting = *wanted;
}

template <typename T> void change(std::optional<T>& setting, const std::optional<T>& wanted) {
  if (wanted)
    setting = wanted;
}

std::vector<acme::Identifier> identifiers_of(const crypto::CertificateFacts& facts) {
  std::vector<acme::Identifier> identifiers;
  for (const auto& name : facts.dns_names)
    identifiers.push_back({"dns", name});
  for (const auto& address : facts.ip_addresses)
    identifiers.push_back({"ip", address});
  return identifiers;
}

std::vector<std::string> values_of(const std::vector<acme::Identifier>& identifiers) {
  std::vector<std::string> values;
  for (const auto& identifier : identifiers)
    values.push_back(identifier.value);
  return values;
}

// Prove the settings: one order for the certificate's names, stored nowhere,
// with the pre/post hooks a renewal with these settings would run.
void prove_by_dry_run(const ReconfigureRequest& request, store::Lineage& lineage,
                      const store::RenewalParams& params,
                      const std::vector<acme::Identifier>& identifiers, http::Transport& transport,
                      util::Clock& clock, util::ProcessRunner& process_runner,
                      ReconfigureResult& result) {
  hooks::HookConfig hook_config = request.hooks;
  hook_config.dry_run = true;
  hooks::HookRunner hook_runner(hook_config, process_runner);
  std::vector<std::string> pre_hooks, deploy_hooks;
  if (!params.pre_hook.empty())
    pre_hooks.push_back(params.pre_hook);
  if (!params.post_hook.empty())
    hook_runner.add_post_hook(params.post_hook);
  if (!params.renew_hook.empty())
    deploy_hooks.push_back(params.renew_hook);

  store::RenewalParams trial = params;
  trial.server = result.dry_run_server;
  std::vector<std::string> names = values_of(identifiers);
  util::log_info("Simulating a renewal of {} with the new settings ({})", lineage.name(),
                 trial.server);
  RunContext context(request.paths, transport, clock, request.account, request.issuance_timeout);
  try {
    hook_runner.run_pre_hooks(pre_hooks);
    issue_lineage(context, IssueRequest{identifiers, trial, &lineage, "", true, "",
                                        request.changes.key.new_key});
    hook_runner.run_deploy_hooks(lineage.live_dir().string(), names, deploy_hooks);
  } catch (const Error&) {
    hook_runner.run_post_hooks({}, names);
    util::log_warning("{}: the dry run with the new settings failed; {} is unchanged",
                      lineage.name(), lineage.conf_path().string());
    throw;
  }
  hook_runner.run_post_hooks(names, {});
  result.hook_failures = hook_runner.failures();
}

} // namespace

store::RenewalParams apply_changes(store::RenewalParams params, const RenewalChanges& changes,
                                   const std::vector<std::string>& names) {
  change(params.authenticator, changes.authenticator);
  if (changes.webroot_paths && !changes.webroot_paths->empty()) {
    if (!changes.authenticator)
      params.authenticator = "webroot";
    std::string root =
        std::filesystem::absolute(changes.webroot_paths->back()).lexically_normal().string();
    params.webroot_map.clear();
    for (const auto& name : names)
      params.webroot_map[name] = root;
    params.webroot_path = webroot_paths_of(params.webroot_map);
  }
  if (params.authenticator != "webroot") {
    params.webroot_map.clear();
    params.webroot_path.clear();
  } else if (params.webroot_map.empty() && params.webroot_path.empty()) {
    throw UsageError("--webroot needs a document root: give -w PATH");
  }
  if (changes.serve_token_dir && params.authenticator != "serve")
    throw UsageError("--serve-token-dir is for a certificate renewed with -a serve");
  if (changes.serve_token_dir) // renewal runs from cron in another directory
    params.serve_token_dir =
        std::filesystem::absolute(*changes.serve_token_dir).lexically_normal().string();
  if (params.authenticator != "serve")
    params.serve_token_dir.clear();
  change(params.http01_port, changes.http01_port);
  change(params.http01_address, changes.http01_address);
  change(params.pre_hook, changes.pre_hook);
  change(params.post_hook, changes.post_hook);
  change(params.renew_hook, changes.renew_hook);
  if (changes.key.key_settings_given())
    record_key_spec(params, key_spec_for(changes.key, params));
  if (auto reuse = changes.key.reuse_key_setting())
    params.reuse_key = *reuse;
  // The account id names an account of the old server; renew then picks (or
  // registers) one of the new server rather than carry a stale id.
  if (changes.server && *changes.server != params.server)
    params.account.clear();
  change(params.server, changes.server);
  change(params.preferred_chain, changes.preferred_chain);
  change(params.preferred_profile, changes.preferred_profile);
  change(params.required_profile, changes.required_profile);
  // Settings a renewal could not use are refused now, not at the next renewal.
  key_spec_of(params);
  if (params.server.empty())
    throw UsageError("the renewal conf names no server: give --server URL");
  return params;
}

std::string dry_run_server_for(const std::string& server) {
  return server == k_letsencrypt_production ? k_letsencrypt_staging : server;
}

ReconfigureResult reconfigure_lineage(const ReconfigureRequest& request, http::Transport& transport,
                                      util::Clock& clock, util::ProcessRunner& process_runner) {
  store::validate_cert_name(request.cert_name);
  if (!lineage_exists(request.paths, request.cert_name))
    throw UsageError(
        fmt::format("no certificate named '{}' (see certsmith certificates)", request.cert_name));
  store::Lineage lineage = store::Lineage::load(request.paths, request.cert_name);
  std::vector<acme::Identifier> identifiers =
      identifiers_of(crypto::read_certificate(lineage.read_cert_pem()));
  if (identifiers.empty())
    throw StorageError(fmt::format("{}: the certificate names no domain", lineage.name()));

  check_notify_flags(request.paths, request.cert_name, request.notify);

  ReconfigureResult result;
  result.before = lineage.params();
  result.after = apply_changes(lineage.params(), request.changes, values_of(identifiers));
  bool needs_proof = result.after != result.before;
  // While a placeholder is live its certificate names other things (fallback.hpp).
  record_fallback_settings(result.after, request.changes.fallback,
                           identifiers_to_renew(lineage.params(), identifiers), clock.now());
  result.changed = result.after != result.before;
  if (!result.changed) {
    result.changed = save_notify_flags(request.paths, request.cert_name, request.notify);
    return result;
  }
  if (request.changes.key.key_settings_given())
    check_reuse_key_conflict(result.after.reuse_key.value_or(false), request.changes.key.new_key,
                             crypto::PrivateKey::from_pem(lineage.read_privkey_pem()).spec(),
                             key_spec_of(result.after));
  if (needs_proof) {
    result.dry_run_server = dry_run_server_for(result.after.server);
    prove_by_dry_run(request, lineage, result.after, identifiers, transport, clock, process_runner,
                     result);
  }

  store::ConfigObj conf = lineage.conf();
  store::write_renewal_params(conf, result.after);
  store::write_file_atomic(lineage.conf_path(), conf.to_string(), 0644);
  save_notify_flags(request.paths, request.cert_name, request.notify);
  return result;
}

} // namespace certsmith::issuance
