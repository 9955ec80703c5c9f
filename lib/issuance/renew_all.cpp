#include "issuance/renew_all.hpp"

#include "acme/ari.hpp"
#include "acme/stored_identifier.hpp"
#include "crypto/certificate.hpp"
#include "issuance/fallback.hpp"
#include "issuance/issue_lineage.hpp"
#include "issuance/renew_notify.hpp"
#include "issuance/solver_choice.hpp"
#include "issuance/webroot_map.hpp"
#include "renew/ari_cache.hpp"
#include "renew/ari_check.hpp"
#include "renew/due.hpp"
#include "renew/expiry_index.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace certsmith::issuance {

namespace {

// A lineage that was read and judged; `lineage` is set when it is due.
struct Candidate {
  LineageOutcome outcome;
  // Held by pointer: most lineages are not due, and a Lineage is large (10,000 of
  // them in place cost 13 MB of heap).
  std::unique_ptr<store::Lineage> lineage;
  std::vector<acme::Identifier> identifiers;
  std::string cert_id; // RFC 9773 certificate ID, "" without an AKI
};

// Reads every lineage and decides whether it is due: facts come from the
// expiry index (no PEM parsed for unchanged certificates), ARI windows from
// the CA within what the ARI cache and certbot's ari_retry_after allow.
class Examiner {
public:
  Examiner(const RenewOptions& options, http::Transport& transport, util::Clock& clock)
      : m_options(options), m_transport(transport), m_clock(clock),
        m_index(renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(options.paths))),
        m_cache(renew::AriCache::load(renew::AriCache::default_path(options.paths))) {}

  Candidate examine(const std::string& name) {
    Candidate candidate;
    candidate.outcome.name = name;
    std::optional<store::Lineage> loaded;
    try {
      // The conf and the cert link decide due-ness; the other links are checked
      // (verify) only for the lineages about to be renewed.
      loaded = store::Lineage::load_for_check(m_options.paths, name);
      store::Lineage& lineage = *loaded;
      const renew::IndexedCertificate& facts = m_index.facts_for(lineage);
      candidate.outcome.domains = facts.names;
      candidate.outcome.not_after = facts.not_after;
      for (const auto& value : facts.names)
        candidate.identifiers.push_back(acme::stored_identifier(value));
      candidate.identifiers =
          identifiers_to_renew(lineage.params(), std::move(candidate.identifiers));
      // A live placeholder is no certificate of the CA's: no ARI, no `replaces` (fallback.hpp).
      if (!facts.authority_key_id.empty() && !placeholder_is_live(lineage.params()))
        candidate.cert_id = acme::ari_certificate_id(facts.authority_key_id, facts.serial_der);
      m_cert_ids.push_back(candidate.cert_id);

      renew::DueInputs inputs{
          facts.not_before, facts.not_after, std::nullopt, std::nullopt,
          renew::ari_fraction(candidate.cert_id.empty() ? name : candidate.cert_id)};
      // certbot's autorenewal_is_enabled: checked before ARI and before the
      // lineage's renew_before_expiry, overridden by --force-renewal and
      // --dry-run (should_renew asks those first).
      bool autorenew_off = !lineage.params().autorenew.value_or(true);
      const auto& before = lineage.params().renew_before_expiry;
      if (before && !autorenew_off) {
        inputs.renew_before_expiry = renew::parse_renew_before_expiry(*before, m_clock.now());
        if (!inputs.renew_before_expiry)
          util::log_warning("{}: ignoring renew_before_expiry = '{}'", name,
                            util::escape_untrusted(*before, 40));
      }
      if (!m_options.force_renewal && !m_options.dry_run && !autorenew_off &&
          !candidate.cert_id.empty())
        inputs.ari_window = ari_window(lineage, candidate.cert_id, facts.not_after);
      renew::DueDecision decision = renew::decide_due(inputs, m_clock.now());
      if (!decision.due && placeholder_is_live(lineage.params())) // fallback.hpp
        decision = {true, m_clock.now(), "a fallback certificate is live"};
      // certbot's --dry-run simulates the renewal of every lineage.
      if (m_options.force_renewal || m_options.dry_run) {
        lineage.verify();
        candidate.outcome.reason = m_options.dry_run ? "dry run" : "forced (--force-renewal)";
        candidate.lineage = std::make_unique<store::Lineage>(std::move(lineage));
      } else if (autorenew_off) {
        candidate.outcome.reason = "automatic renewal is disabled (autorenew = False)";
      } else if (decision.due) {
        lineage.verify();
        candidate.outcome.reason = decision.reason;
        candidate.lineage = std::make_unique<store::Lineage>(std::move(lineage));
      } else {
        candidate.outcome.reason = fmt::format(
            "not due until {} ({})", renew::format_utc_date(decision.when), decision.reason);
      }
    } catch (const Error& error) {
      candidate.outcome.action = LineageOutcome::Action::failed;
      candidate.outcome.reason = error.what();
      // A broken cert link fails the lookup first; verify names what is broken.
      if (loaded) {
        try {
          loaded->verify();
        } catch (const Error& broken) {
          candidate.outcome.reason = broken.what();
        }
      }
    }
    return candidate;
  }

  // The caches are only caches: failing to save them costs speed, not correctness.
  void save(const std::vector<std::string>& names) noexcept {
    try {
      m_index.retain(names);
      m_index.save();
      m_cache.retain(m_cert_ids, m_clock.now());
      m_cache.save();
    } catch (const std::exception& error) {
      util::log_warning("could not save the renewal caches in {}: {}",
                        m_options.paths.work_dir.string(), error.what());
    }
    util::log_debug("expiry index: {} hits, {} misses", m_index.hits(), m_index.misses());
  }

private:
  std::optional<renew::AriWindow> ari_window(const store::Lineage& lineage,
                                             const std::string& cert_id,
                                             util::Clock::TimePoint not_after) {
    std::string server = m_options.server.value_or(lineage.params().server);
    if (server.empty())
      return std::nullopt;
    auto& client = m_clients[server];
    if (!client)
      client = std::make_unique<acme::Client>(m_transport, m_clock, server);
    store::ConfigObj conf = lineage.conf();
    renew::AriCheck check =
        renew::check_renewal_info(*client, m_cache, conf, cert_id, not_after, m_clock.now());
    if (!check.warning.empty())
      util::log_warning("{}: renewal information unavailable: {}", lineage.name(),
                        util::escape_untrusted(check.warning, 300));
    if (check.conf_changed) {
      try {
        store::write_file_atomic(lineage.conf_path(), conf.to_string(), 0644);
      } catch (const Error& error) {
        util::log_warning("{}: {}", lineage.name(), error.what());
      }
    }
    return check.window;
  }

  const RenewOptions& m_options;
  http::Transport& m_transport;
  util::Clock& m_clock;
  renew::ExpiryIndex m_index;
  renew::AriCache m_cache;
  std::map<std::string, std::unique_ptr<acme::Client>> m_clients;
  std::vector<std::string> m_cert_ids;
};

} // namespace

store::RenewalParams renewal_params_for(const RenewOptions& options,
                                        const store::Lineage& lineage) {
  store::RenewalParams params = lineage.params();
  if (options.server)
    params.server = *options.server;
  if (options.authenticator)
    params.authenticator = *options.authenticator;
  if (!options.webroot_map.empty()) {
    params.webroot_map = options.webroot_map;
    params.webroot_path = webroot_paths_of(options.webroot_map);
  }
  if (options.http01_port)
    params.http01_port = *options.http01_port;
  if (options.http01_address)
    params.http01_address = *options.http01_address;
  if (options.reuse_key)
    params.reuse_key = *options.reuse_key;
  if (options.autorenew)
    params.autorenew = *options.autorenew;
  if (!options.pref_challs.empty())
    params.pref_challs = normalize_challenge_types(options.pref_challs);
  if (options.manual_auth_hook)
    params.manual_auth_hook = *options.manual_auth_hook;
  if (options.manual_cleanup_hook)
    params.manual_cleanup_hook = *options.manual_cleanup_hook;
  if (options.dns_rfc2136_credentials)
    params.dns_rfc2136_credentials =
        std::filesystem::absolute(*options.dns_rfc2136_credentials).lexically_normal().string();
  if (options.dns_rfc2136_propagation_seconds)
    params.dns_rfc2136_propagation_seconds = options.dns_rfc2136_propagation_seconds;
  if (!options.dns_resolvers.empty())
    params.dns_resolvers = options.dns_resolvers;
  if (options.tls_alpn01_port)
    params.tls_alpn01_port = options.tls_alpn01_port;
  if (options.serve_token_dir && params.authenticator == "serve") // review B 8: not webroot confs
    params.serve_token_dir =
        std::filesystem::absolute(*options.serve_token_dir).lexically_normal().string();
  // certbot saves the command-line hooks of a renewal in place of the recorded ones.
  if (!options.hooks.pre_hooks.empty())
    params.pre_hook = options.hooks.pre_hooks.front();
  if (!options.hooks.post_hooks.empty())
    params.post_hook = options.hooks.post_hooks.front();
  if (!options.hooks.deploy_hooks.empty())
    params.renew_hook = options.hooks.deploy_hooks.front();
  if (params.server.empty())
    throw UsageError("the renewal conf names no server");
  return params;
}

namespace {

// fallback.hpp: an expired lineage whose renewal failed serves its fallback;
// the deploy hooks run as after a renewal, so that the web server loads it.
void switch_fallback_after_failure(const RenewOptions& options, RunContext& context,
                                   hooks::HookRunner& hook_runner, Candidate& candidate) noexcept {
  try {
    if (auto done =
            switch_to_fallback_if_expired(*candidate.lineage, candidate.identifiers,
                                          candidate.outcome.not_after, context.clock().now())) {
      util::log_warning("{}: {}", candidate.outcome.name, *done);
      candidate.outcome.reason += "; " + *done;
      std::vector<std::string> own_deploy;
      if (options.hooks.deploy_hooks.empty() && !candidate.lineage->params().renew_hook.empty())
        own_deploy.push_back(candidate.lineage->params().renew_hook);
      hook_runner.run_deploy_hooks(candidate.lineage->live_dir().string(),
                                   candidate.outcome.domains, own_deploy);
    }
  } catch (const std::exception& error) {
    candidate.outcome.reason += fmt::format("; no fallback: {}", error.what());
  }
}

void renew_one(const RenewOptions& options, RunContext& context, hooks::HookRunner& hook_runner,
               util::ProcessRunner& process_runner, Candidate& candidate) {
  LineageOutcome& outcome = candidate.outcome;
  store::Lineage& lineage = *candidate.lineage;
  try {
    store::RenewalParams params = renewal_params_for(options, lineage);
    // Hooks recorded in the conf run only when the command line gives none.
    std::vector<std::string> own_pre, own_deploy;
    if (options.hooks.pre_hooks.empty() && !lineage.params().pre_hook.empty())
      own_pre.push_back(lineage.params().pre_hook);
    if (options.hooks.post_hooks.empty() && !lineage.params().post_hook.empty())
      hook_runner.add_post_hook(lineage.params().post_hook);
    if (options.hooks.deploy_hooks.empty() && !lineage.params().renew_hook.empty())
      own_deploy.push_back(lineage.params().renew_hook);
    hook_runner.run_pre_hooks(own_pre);

    IssueRequest request{candidate.identifiers, params,         &lineage, "", options.dry_run,
                         candidate.cert_id,     options.new_key};
    IssuedLineage issued = issue_lineage(context, request, process_runner);
    outcome.action = LineageOutcome::Action::renewed;
    outcome.not_after = issued.not_after;
    outcome.version = issued.version;
    hook_runner.run_deploy_hooks(lineage.live_dir().string(), outcome.domains, own_deploy);
  } catch (const std::exception& error) {
    // Anything escaping a worker thread would end the whole run: record it
    // against this lineage instead (certsmith::Error or, rarely, the library's own).
    outcome.action = LineageOutcome::Action::failed;
    outcome.reason = dynamic_cast<const Error*>(&error) != nullptr
                         ? error.what()
                         : fmt::format("internal error: {}", error.what());
    util::log_debug("{}: renewal failed: {}", outcome.name, outcome.reason);
    if (!options.dry_run)
      switch_fallback_after_failure(options, context, hook_runner, candidate);
  }
}

} // namespace

bool RenewSummary::any_failed() const {
  return std::any_of(outcomes.begin(), outcomes.end(), [](const LineageOutcome& outcome) {
    return outcome.action == LineageOutcome::Action::failed;
  });
}

std::string_view action_name(LineageOutcome::Action action) {
  switch (action) {
  case LineageOutcome::Action::renewed:
    return "renewed";
  case LineageOutcome::Action::not_due:
    return "not_due";
  default:
    return "failed";
  }
}

RenewSummary renew_all(const RenewOptions& options, http::Transport& transport, util::Clock& clock,
                       util::ProcessRunner& process_runner) {
  std::vector<std::string> names = options.cert_names;
  for (const auto& name : names) {
    store::validate_cert_name(name);
    if (!std::filesystem::exists(options.paths.renewal_conf(name)))
      throw UsageError(fmt::format("no certificate named '{}' (see certsmith certificates)", name));
  }
  if (names.empty())
    names = store::Lineage::list_names(options.paths);

  std::vector<Candidate> candidates;
  candidates.reserve(names.size());
  Examiner examiner(options, transport, clock);
  for (const auto& name : names)
    candidates.push_back(examiner.examine(name));
  examiner.save(names);

  std::vector<Candidate*> due;
  for (auto& candidate : candidates) {
    if (candidate.lineage)
      due.push_back(&candidate);
  }
  hooks::HookRunner hook_runner(options.hooks, process_runner);
  if (!due.empty()) {
    if (options.random_delay.count() > 0) {
      std::uniform_int_distribution<long long> pick(0, options.random_delay.count());
      std::random_device seed;
      auto delay = std::chrono::milliseconds(pick(seed));
      util::log_info("Waiting {} s (random delay before renewing; --no-random-sleep-on-renew "
                     "skips it).",
                     delay.count() / 1000);
      clock.sleep_for(delay);
    }
    RunContext context(options.paths, transport, clock, options.account, options.issuance_timeout);
    context.set_rate_limit_policy(options.rate_limits);
    std::atomic<std::size_t> next{0};
    std::size_t done = 0;
    std::mutex progress_mutex;
    auto worker = [&] {
      for (std::size_t i = next++; i < due.size(); i = next++) {
        renew_one(options, context, hook_runner, process_runner, *due[i]);
        if (options.on_progress) {
          std::lock_guard lock(progress_mutex);
          options.on_progress(++done, due.size());
        }
      }
    };
    int workers = std::clamp<int>(options.jobs, 1, static_cast<int>(due.size()));
    std::vector<std::thread> threads;
    for (int i = 1; i < workers; ++i)
      threads.emplace_back(worker);
    worker();
    for (auto& thread : threads)
      thread.join();
  }

  RenewSummary summary;
  std::vector<std::string> renewed_domains, failed_domains;
  for (auto& candidate : candidates) {
    auto& outcome = candidate.outcome;
    auto& list =
        outcome.action == LineageOutcome::Action::renewed ? renewed_domains : failed_domains;
    if (outcome.action != LineageOutcome::Action::not_due)
      list.insert(list.end(), outcome.domains.begin(), outcome.domains.end());
    summary.outcomes.push_back(std::move(outcome));
  }
  hook_runner.run_post_hooks(renewed_domains, failed_domains);
  summary.hook_failures = hook_runner.failures();
  notify_renewal_outcomes(options, summary.outcomes, clock);
  return summary;
}

} // namespace certsmith::issuance
