#include "commands.hpp"
#include "issuance/metrics_file.hpp"
#include "issuance/renew_all.hpp"
#include "issuance/renew_notify.hpp"
#include "issuance/renew_summary_json.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "renew/due.hpp"
#include "store/tree_lock.hpp"
#include "util/clock.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"
#include "util/terminal.hpp"

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace certsmith::cli {

namespace {

using issuance::LineageOutcome;

void print_summary(const issuance::RenewSummary& summary, bool dry_run,
                   std::chrono::system_clock::time_point now) {
  int renewed = 0, not_due = 0, failed = 0;
  for (const auto& outcome : summary.outcomes) {
    switch (outcome.action) {
    case LineageOutcome::Action::renewed:
      ++renewed;
      util::log_success("{}: {}, expires {}", outcome.name,
                        dry_run ? "renewed (dry run)" : "renewed",
                        renew::format_utc_date(outcome.not_after));
      break;
    case LineageOutcome::Action::not_due:
      ++not_due;
      util::log_info(
          "{}: {}, {} days left", outcome.name, outcome.reason,
          std::chrono::duration_cast<std::chrono::hours>(outcome.not_after - now).count() / 24);
      break;
    case LineageOutcome::Action::failed:
      ++failed;
      util::write_terminal_line(STDERR_FILENO,
                                fmt::format("certsmith: error: {}: renewal failed: {}",
                                            outcome.name,
                                            util::escape_untrusted(outcome.reason, 600)),
                                util::Tone::error);
      break;
    }
  }
  for (const auto& failure : summary.hook_failures)
    util::log_warning("{} hook failed: {}: {}", hooks::stage_name(failure.stage),
                      util::escape_untrusted(failure.hook, 200), failure.reason);
  if (summary.outcomes.empty())
    util::log_info("No certificates found.");
  else if (renewed + failed == 0)
    util::log_info("No renewals were attempted.");
  else
    util::log_info("{} renewed, {} not due, {} failed.", renewed, not_due, failed);
}

} // namespace

int run_renew(const Options& options) {
  issuance::RenewOptions renew;
  renew.paths = {options.config_dir, options.work_dir, options.logs_dir};
  if (options.cert_name)
    renew.cert_names.push_back(*options.cert_name);
  renew.force_renewal = options.force_renewal;
  renew.dry_run = options.dry_run;
  renew.issuance_timeout = std::chrono::seconds(options.issuance_timeout);
  renew.jobs = options.jobs;
  // certbot waits a random 0-8 minutes when run from cron or a timer (no TTY).
  if (!options.no_random_sleep_on_renew && !options.dry_run && !isatty(STDIN_FILENO))
    renew.random_delay = std::chrono::minutes(8);
  if (!options.server.empty() || options.staging || options.dry_run)
    renew.server = options.server_url();
  if (options.standalone)
    renew.authenticator = "standalone";
  else if (options.webroot)
    renew.authenticator = "webroot";
  else if (options.manual)
    renew.authenticator = "manual";
  else if (options.dns_rfc2136)
    renew.authenticator = "dns-rfc2136";
  else if (!options.authenticator.empty())
    renew.authenticator = options.authenticator;
  if (options.webroot || !options.webroot_paths.empty())
    renew.webroot_map = issuance::build_webroot_map(options.domain_and_webroot_order);
  if (options.http01_port != 80)
    renew.http01_port = options.http01_port;
  if (!options.http01_address.empty())
    renew.http01_address = options.http01_address;
  if (options.reuse_key)
    renew.reuse_key = true;
  else if (options.no_reuse_key)
    renew.reuse_key = false;
  if (options.no_autorenew)
    renew.autorenew = false;
  renew.pref_challs = options.preferred_challenges;
  if (!options.manual_auth_hook.empty())
    renew.manual_auth_hook = options.manual_auth_hook;
  if (!options.manual_cleanup_hook.empty())
    renew.manual_cleanup_hook = options.manual_cleanup_hook;
  if (!options.dns_rfc2136_credentials.empty())
    renew.dns_rfc2136_credentials = options.dns_rfc2136_credentials;
  renew.dns_rfc2136_propagation_seconds = options.dns_rfc2136_propagation_seconds;
  renew.dns_resolvers = options.dns_resolvers;
  if (options.tls_alpn01_port != 443)
    renew.tls_alpn01_port = options.tls_alpn01_port;
  if (!options.serve_token_dir.empty())
    renew.serve_token_dir = options.serve_token_dir;
  renew.new_key = options.new_key;
  renew.account = account_request(options);
  renew.hooks = hook_config(options);
  renew.notify = notify_options(options.notify);
  issuance::check_renew_notify_flags(renew);
  // A progress line only for a person watching a long run (util::show_progress: terminals only).
  if (!options.quiet && !options.json) {
    renew.on_progress = [](std::size_t done, std::size_t total) {
      if (total <= 5)
        return;
      util::show_progress(fmt::format("Renewing: {} of {} done", done, total));
      if (done == total)
        util::clear_progress();
    };
  }

  renew.rate_limits = {options.rate_limit_per_domain, options.rate_limit_duplicates,
                       options.strict_rate_limits, options.ignore_rate_limit_backoff};
  auto transport = make_transport(options);
  util::SystemClock clock;
  util::SystemProcessRunner process_runner;
  auto lock = store::TreeLock::acquire(renew.paths);
  auto started = clock.now();
  issuance::RenewSummary summary;
  try {
    summary = issuance::renew_all(renew, *transport, clock, process_runner);
  } catch (...) {
    // The collector must see this run failed, not the last good run's file.
    if (!options.metrics_file.empty())
      issuance::write_renew_metrics(options.metrics_file, renew.paths, {},
                                    {started, clock.now(), false}, options.dry_run);
    throw;
  }

  if (options.json)
    std::fputs((issuance::renew_summary_json(summary, options.dry_run).dump(2) + "\n").c_str(),
               stdout);
  else
    print_summary(summary, options.dry_run, clock.now());
  // After the summary; a metrics file that cannot be written is a warning, not a failed renewal.
  if (!options.metrics_file.empty())
    issuance::write_renew_metrics(options.metrics_file, renew.paths, summary,
                                  {started, clock.now()}, options.dry_run);
  return summary.any_failed() ? static_cast<int>(ExitCode::failure) : 0;
}

} // namespace certsmith::cli
