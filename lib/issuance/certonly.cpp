#include "issuance/certonly.hpp"

#include "acme/identifier.hpp"
#include "crypto/certificate.hpp"
#include "issuance/issue_lineage.hpp"
#include "issuance/kept_reuse.hpp"
#include "issuance/lineage_lookup.hpp"
#include "issuance/solver_choice.hpp"
#include "issuance/webroot_map.hpp"
#include "renew/due.hpp"
#include "renew/expiry_index.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <iterator>
#include <set>

namespace certsmith::issuance {

namespace {

std::set<std::string> names_of(const std::vector<acme::Identifier>& identifiers) {
  std::set<std::string> names;
  for (const auto& identifier : identifiers)
    names.insert(identifier.value);
  return names;
}

std::set<std::string> names_of(const crypto::CertificateFacts& facts) {
  std::set<std::string> names(facts.dns_names.begin(), facts.dns_names.end());
  names.insert(facts.ip_addresses.begin(), facts.ip_addresses.end());
  return names;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The lineages of the tree whose certificate holds exactly the requested
// names, or a strict subset of them (the largest, as certbot picks). The
// expiry index spares parsing every lineage's certificate on each run.
struct LineageMatches {
  std::optional<store::Lineage> identical;
  std::optional<store::Lineage> subset;
  std::set<std::string> subset_names;
};

LineageMatches match_lineages(const store::TreePaths& paths, const std::set<std::string>& names) {
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
  LineageMatches matches;
  for (const auto& name : store::Lineage::list_names(paths)) {
    try {
      store::Lineage lineage = store::Lineage::load(paths, name);
      const auto& facts = index.facts_for(lineage);
      std::set<std::string> held(facts.names.begin(), facts.names.end());
      if (held == names) {
        matches.identical = std::move(lineage);
        break;
      }
      if (held.size() > matches.subset_names.size() &&
          std::includes(names.begin(), names.end(), held.begin(), held.end())) {
        matches.subset = std::move(lineage);
        matches.subset_names = std::move(held);
      }
    } catch (const Error& error) {
      util::log_debug("skipping lineage {}: {}", name, error.what());
    }
  }
  try {
    index.save();
  } catch (const Error& error) {
    util::log_debug("expiry index not saved: {}", error.what());
  }
  return matches;
}

bool ask(const CertonlyRequest& request, const std::string& question, bool non_interactive_answer,
         const std::string& flag_hint) {
  return request.confirm ? request.confirm(question, non_interactive_answer, flag_hint)
                         : non_interactive_answer;
}

std::set<std::string> minus(const std::set<std::string>& left, const std::set<std::string>& right) {
  std::set<std::string> out;
  std::set_difference(left.begin(), left.end(), right.begin(), right.end(),
                      std::inserter(out, out.end()));
  return out;
}

// certbot's _handle_subset_cert_request: only --expand (or --force-renewal,
// or a yes at the terminal) lets certonly grow a lineage; otherwise it stops
// before anything is sent or written, with -n naming the flag as certbot does.
void confirm_expansion(const CertonlyRequest& request, const store::Lineage& lineage,
                       const std::set<std::string>& held, const std::set<std::string>& requested) {
  if (request.expand || request.force_renewal)
    return;
  std::string conf = request.paths.renewal_conf(lineage.name()).string();
  std::string question =
      fmt::format("You have an existing certificate that contains a portion of the names you "
                  "requested (ref: {}); it contains these names: {}; you requested these names "
                  "for the new certificate: {}. Do you want to expand and replace this existing "
                  "certificate with the new certificate?",
                  conf, joined(held), joined(requested));
  if (ask(request, question, false, "--expand"))
    return;
  throw UsageError(fmt::format(
      "Missing command line flag or config entry for this setting: you have an existing "
      "certificate that contains a portion of the names you requested (ref: {}); it contains "
      "these names: {}; you requested these names for the new certificate: {}. Expand and "
      "replace it with --expand, or keep it and get a separate certificate with --duplicate. "
      "(You can set this with the --expand flag)",
      conf, joined(held), joined(requested)));
}

// certbot's _ask_user_to_confirm_new_sans: --cert-name with other names
// replaces the lineage's names; --renew-with-new-domains (without asking), -n
// and a yes proceed.
void confirm_new_names(const CertonlyRequest& request, const store::Lineage& lineage,
                       const std::set<std::string>& held, const std::set<std::string>& requested) {
  if (request.renew_with_new_domains)
    return;
  auto listed = [](const std::set<std::string>& names) {
    return names.empty() ? std::string("(none)") : joined(names);
  };
  std::string question = fmt::format(
      "You are updating certificate {} to include new domain(s): {}; you are also removing "
      "previously included domain(s): {}. Did you intend to make this change?",
      lineage.name(), listed(minus(requested, held)), listed(minus(held, requested)));
  if (!ask(request, question, true, "--renew-with-new-domains"))
    throw UsageError("Specified mismatched certificate name and domains.");
}

// The lineage this request continues, as certbot chooses it: --cert-name's
// whatever its names, else none with --duplicate, else one with exactly these
// names, else (with --expand) the largest with a strict subset of them.
std::optional<store::Lineage> find_lineage(const CertonlyRequest& request,
                                           const std::set<std::string>& names) {
  if (request.cert_name) {
    if (!lineage_exists(request.paths, *request.cert_name))
      return std::nullopt;
    return store::Lineage::load(request.paths, *request.cert_name);
  }
  if (request.duplicate)
    return std::nullopt;
  LineageMatches matches = match_lineages(request.paths, names);
  if (matches.identical)
    return std::move(matches.identical);
  if (matches.subset) {
    confirm_expansion(request, *matches.subset, matches.subset_names, names);
    return std::move(matches.subset);
  }
  return std::nullopt;
}

// certbot's _handle_unexpected_key_type_migration: a key type given with
// --cert-name changes the lineage's; given without it, it is refused as
// ambiguous; not given, the lineage keeps its own.
void check_key_type_change(const CertonlyRequest& request, const store::Lineage& lineage) {
  if (!request.key.key_type_given || request.cert_name)
    return;
  crypto::KeyAlgorithm current = key_spec_of(lineage.params()).algorithm;
  if (current == request.key.spec.algorithm)
    return;
  auto label = [](crypto::KeyAlgorithm algorithm) {
    return algorithm == crypto::KeyAlgorithm::rsa ? "RSA" : "ECDSA";
  };
  throw UsageError(fmt::format(
      "Are you trying to change the key type of the certificate named {} from {} to {}? "
      "Please provide both --cert-name and --key-type on the command line to confirm the "
      "change you are trying to make.",
      lineage.name(), label(current), label(request.key.spec.algorithm)));
}

// certbot's _avoid_reuse_key_conflicts, the rule reconfigure applies too.
void check_reuse_key_conflict(const CertonlyRequest& request, const store::Lineage& lineage) {
  bool reuses =
      request.key.reuse_key_setting().value_or(lineage.params().reuse_key.value_or(false));
  if (!reuses || request.key.new_key)
    return;
  crypto::KeySpec current = crypto::PrivateKey::from_pem(lineage.read_privkey_pem()).spec();
  issuance::check_reuse_key_conflict(reuses, request.key.new_key, current,
                                     key_spec_for(request.key, lineage.params()));
}

// The identifiers asked for: -d and --ip-address, else (certbot's
// _find_domains_or_certname) the names --cert-name's lineage holds.
std::vector<acme::Identifier> requested_identifiers(const CertonlyRequest& request) {
  if (!request.domains.empty() || !request.ip_addresses.empty())
    return acme::make_identifiers(request.domains, request.ip_addresses);
  if (!request.cert_name || !lineage_exists(request.paths, *request.cert_name))
    throw UsageError("no domains given: name them with -d example.com (or --ip-address)");
  store::Lineage lineage = store::Lineage::load(request.paths, *request.cert_name);
  auto facts = crypto::read_certificate(lineage.read_cert_pem());
  if (facts.dns_names.empty() && facts.ip_addresses.empty())
    throw StorageError(fmt::format("{}: the certificate names no domain", lineage.name()));
  return acme::make_identifiers(facts.dns_names, facts.ip_addresses);
}

// The settings of the authenticator this command line chose; another
// authenticator's (recorded by an earlier certonly) are dropped.
void record_authenticator_settings(store::RenewalParams& params, const CertonlyRequest& request) {
  params.webroot_map.clear();
  params.webroot_path.clear();
  params.http01_port.reset();
  params.http01_address.clear();
  params.tls_alpn01_port.reset();
  params.serve_token_dir.clear();
  params.manual_auth_hook.clear();
  params.manual_cleanup_hook.clear();
  params.dns_rfc2136_credentials.clear();
  params.dns_rfc2136_propagation_seconds.reset();
  params.dns_resolvers.clear();
  if (request.authenticator == "webroot") {
    params.webroot_map = request.webroot_map;
    params.webroot_path = webroot_paths_of(request.webroot_map);
  } else if (request.authenticator == "standalone") {
    if (request.http01_port != 80)
      params.http01_port = request.http01_port;
    params.http01_address = request.http01_address;
    if (request.tls_alpn01_port != 443)
      params.tls_alpn01_port = request.tls_alpn01_port;
  } else if (request.authenticator == "serve") {
    if (!request.serve_token_dir.empty()) // renewal runs from cron in another directory
      params.serve_token_dir =
          std::filesystem::absolute(request.serve_token_dir).lexically_normal().string();
  } else if (request.authenticator == "manual") {
    params.manual_auth_hook = request.manual_auth_hook;
    params.manual_cleanup_hook = request.manual_cleanup_hook;
  } else if (request.authenticator == "dns-rfc2136") {
    // Renewal runs from cron in another directory: keep the file it named.
    if (!request.dns_rfc2136_credentials.empty())
      params.dns_rfc2136_credentials =
          std::filesystem::absolute(request.dns_rfc2136_credentials).lexically_normal().string();
    params.dns_rfc2136_propagation_seconds = request.dns_rfc2136_propagation_seconds;
    params.dns_resolvers = request.dns_resolvers;
  }
}

} // namespace

store::RenewalParams certonly_renewal_params(const CertonlyRequest& request,
                                             const std::optional<store::RenewalParams>& previous) {
  store::RenewalParams params = previous.value_or(store::RenewalParams{});
  params.authenticator = request.authenticator;
  params.server = request.server;
  record_key_spec(params, key_spec_for(request.key, previous));
  // --new-key: certbot's certonly records only what its command line set, so
  // reuse_key disappears; neither flag keeps what the lineage recorded.
  if (auto reuse = request.key.reuse_key_setting())
    params.reuse_key = *reuse ? std::optional(true) : std::nullopt;
  record_authenticator_settings(params, request);
  params.pref_challs = normalize_challenge_types(request.pref_challs);
  params.must_staple = request.must_staple ? std::optional(true) : std::nullopt;
  params.autorenew = request.autorenew; // like must_staple: only what this command line set
  params.preferred_chain = request.preferred_chain;
  params.preferred_profile = request.preferred_profile;
  params.required_profile = request.required_profile;
  if (!request.hooks.deploy_hooks.empty())
    params.renew_hook = request.hooks.deploy_hooks.front();
  if (!request.hooks.pre_hooks.empty())
    params.pre_hook = request.hooks.pre_hooks.front();
  if (!request.hooks.post_hooks.empty())
    params.post_hook = request.hooks.post_hooks.front();
  return params;
}

std::string lineage_name_base(const acme::Identifier& first) {
  if (first.type != "ip" || first.value.find(':') == std::string::npos)
    return first.value;
  std::string name = first.value.starts_with("::") ? "0" + first.value : first.value;
  std::replace(name.begin(), name.end(), ':', '-');
  return name;
}

CertonlyResult run_certonly(const CertonlyRequest& request, http::Transport& transport,
                            util::Clock& clock, util::ProcessRunner& process_runner) {
  if (request.cert_name)
    store::validate_cert_name(*request.cert_name);
  std::vector<acme::Identifier> identifiers = requested_identifiers(request);
  std::set<std::string> names = names_of(identifiers);
  check_fallback_options(request.fallback, identifiers, clock.now()); // before anything is written

  std::optional<store::Lineage> lineage = find_lineage(request, names);
  if (!lineage &&
      request.cert_name) // a new lineage's files must fit 255 bytes: refuse before ordering
    store::validate_new_cert_name(*request.cert_name);
  if (lineage)
    check_key_type_change(request, *lineage);
  if (!lineage && !request.force_renewal && !request.dry_run) // what `delete` kept, if valid
    if (auto reused = reuse_kept_certificate(request, identifiers, clock)) {
      // New files in live/: the server must load them, as after an issuance
      // (no pre-hook: no challenge is answered, nothing needs stopping).
      hooks::HookRunner hook_runner(request.hooks, process_runner);
      hook_runner.run_deploy_hooks(reused->live_dir, reused->domains);
      hook_runner.run_post_hooks(reused->domains, {});
      reused->hook_failures = hook_runner.failures();
      return *reused;
    }
  CertonlyResult result;
  if (lineage) {
    auto facts = crypto::read_certificate(lineage->read_cert_pem());
    bool same_names = names_of(facts) == names;
    auto before =
        lineage->params().renew_before_expiry
            ? renew::parse_renew_before_expiry(*lineage->params().renew_before_expiry, clock.now())
            : std::nullopt;
    // certbot's should_renew: a lineage with autorenew = False is never due.
    bool due = lineage->params().autorenew.value_or(true) &&
               (renew::is_due(facts.not_before, facts.not_after, before, clock.now()) ||
                placeholder_is_live(lineage->params())); // fallback.hpp: always due
    // fallback.hpp: the flags are saved for a kept lineage, and before an order that may fail.
    bool save_fallback = same_names && !request.dry_run && request.fallback.changes_conf();
    if (same_names && !request.force_renewal && !request.dry_run && !due) {
      if (save_fallback)
        save_fallback_settings(*lineage, request.fallback, identifiers, clock.now());
      result.outcome = CertonlyResult::Outcome::kept;
      result.lineage_name = lineage->name();
      result.fullchain_path = lineage->fullchain_path().string();
      result.privkey_path = lineage->privkey_path().string();
      result.not_after = facts.not_after;
      return result;
    }
    if (!same_names && request.cert_name)
      confirm_new_names(request, *lineage, names_of(facts), names);
    check_reuse_key_conflict(request, *lineage); // only when it is renewed, as certbot
    if (save_fallback)
      save_fallback_settings(*lineage, request.fallback, identifiers, clock.now());
    if (!same_names) // --expand or --cert-name with other names: certbot replaces them
      util::log_info("Updating certificate {} to hold: {}.", lineage->name(), joined(names));
  }

  RunContext context(request.paths, transport, clock, request.account, request.issuance_timeout);
  context.set_rate_limit_policy(request.rate_limits);
  IssueRequest issue;
  issue.identifiers = identifiers;
  issue.params = certonly_renewal_params(request, lineage ? std::optional(lineage->params())
                                                          : std::optional<store::RenewalParams>());
  record_fallback_settings(issue.params, request.fallback, identifiers, clock.now());
  bool bootstrapped = !lineage && request.fallback.bootstrap_self_signed && !request.dry_run;
  if (bootstrapped) // fallback.hpp: live/ serves a placeholder before the order
    lineage = create_bootstrap_lineage(
        request.paths,
        request.cert_name
            ? *request.cert_name
            : store::choose_lineage_name(request.paths, lineage_name_base(identifiers.front())),
        identifiers, issue.params, clock.now());
  issue.existing = lineage ? &*lineage : nullptr;
  if (!lineage)
    issue.new_name =
        request.cert_name
            ? *request.cert_name
            : store::choose_lineage_name(request.paths, lineage_name_base(identifiers.front()));
  // Challenges the authenticator cannot answer (a wildcard without dns-01, no
  // preferred challenge it knows) are refused before any hook runs. Solvers
  // are made only later: a standalone one binds its port, which a pre-hook
  // may first have to free (systemctl stop nginx).
  static_cast<void>(challenge_types_for(issue.params, identifiers));
  issue.dry_run = request.dry_run;
  issue.new_key = request.key.new_key;
  result.domains.assign(names.begin(), names.end());

  hooks::HookRunner hook_runner(request.hooks, process_runner);
  hook_runner.run_pre_hooks();
  IssuedLineage issued;
  try {
    issued = issue_lineage(context, issue, process_runner);
  } catch (const Error&) {
    hook_runner.run_post_hooks({}, result.domains);
    throw;
  }
  hook_runner.run_deploy_hooks(issued.live_dir, result.domains);
  hook_runner.run_post_hooks(result.domains, {});
  result.hook_failures = hook_runner.failures();

  result.outcome =
      lineage && !bootstrapped ? CertonlyResult::Outcome::renewed : CertonlyResult::Outcome::issued;
  result.lineage_name = issued.name;
  result.live_dir = issued.live_dir;
  result.fullchain_path = issued.fullchain_path;
  result.privkey_path = issued.privkey_path;
  result.not_after = issued.not_after;
  result.requests = issued.requests;
  return result;
}

} // namespace certsmith::issuance
