#include "issuance/renew_notify.hpp"

#include "notify/notifier.hpp"
#include "store/atomic_file.hpp"
#include "store/config_obj.hpp"
#include "util/log.hpp"

#include <filesystem>

namespace certsmith::issuance {

namespace {

constexpr std::size_t k_max_conf_bytes = 1024 * 1024;

notify::RunResult run_result(LineageOutcome::Action action) {
  switch (action) {
  case LineageOutcome::Action::renewed:
    return notify::RunResult::renewed;
  case LineageOutcome::Action::failed:
    return notify::RunResult::failed;
  default:
    return notify::RunResult::untouched;
  }
}

// The conf's settings, saving the command line's into it first when this run
// renewed the lineage.
notify::NotifySettings settings_for(const RenewOptions& options, const LineageOutcome& outcome) {
  const notify::NotifySettings& flags = options.notify.command_line;
  auto path = options.paths.renewal_conf(outcome.name);
  if (!std::filesystem::exists(path))
    return flags;
  store::ConfigObj conf =
      store::ConfigObj::parse(store::read_file(path, k_max_conf_bytes), path.string());
  notify::NotifySettings recorded = notify::read_settings(conf);
  notify::NotifySettings merged = notify::overlay(flags, recorded);
  if (outcome.action == LineageOutcome::Action::renewed && !flags.empty() && merged != recorded) {
    notify::NotifySettings saved = flags;
    if (!saved.smtp_credentials.empty())
      saved.smtp_credentials =
          std::filesystem::absolute(saved.smtp_credentials).lexically_normal().string();
    notify::write_settings(conf, saved);
    store::write_file_atomic(path, conf.to_string(), 0644);
  }
  return merged;
}

} // namespace

void notify_renewal_outcomes(const RenewOptions& options,
                             const std::vector<LineageOutcome>& outcomes,
                             const util::Clock& clock) noexcept {
  if (options.dry_run)
    return;
  try {
    std::vector<notify::LineageResult> results;
    std::vector<std::string> names;
    for (const auto& outcome : outcomes) {
      names.push_back(outcome.name);
      notify::LineageResult result{
          outcome.name, run_result(outcome.action), "", outcome.domains, std::nullopt, {}};
      if (outcome.action == LineageOutcome::Action::failed)
        result.error = outcome.reason;
      if (outcome.not_after.time_since_epoch().count() != 0)
        result.not_after = outcome.not_after;
      try {
        result.settings = settings_for(options, outcome);
      } catch (const std::exception& error) {
        util::log_warning("{}: notification settings unreadable: {}", outcome.name, error.what());
        result.settings = options.notify.command_line;
      }
      results.push_back(std::move(result));
    }
    notify::notify_results(options.notify, results, names, options.paths.work_dir, clock);
  } catch (const std::exception& error) {
    util::log_warning("notifications: {}", error.what());
  }
}

} // namespace certsmith::issuance
