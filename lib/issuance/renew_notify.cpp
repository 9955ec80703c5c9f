#include "issuance/renew_notify.hpp"

#include "notify/notifier.hpp"
#include "notify/settings_file.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace certsmith::issuance {

namespace {

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

bool has_flags(const notify::NotifySettings& flags) {
  return flags != notify::NotifySettings{};
}

// autorenew = False: the lineage is not being renewed, whatever is due.
bool renewal_disabled(const store::TreePaths& paths, const std::string& name) {
  try {
    return !store::Lineage::load_for_check(paths, name).params().autorenew.value_or(true);
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace

void check_notify_flags(const store::TreePaths& paths, const std::string& lineage,
                        const notify::NotifyOptions& notify) {
  if (notify.clear || !has_flags(notify.command_line))
    return;
  notify::NotifySettings saved;
  try {
    saved = notify::load_lineage_settings(paths, lineage);
  } catch (const UsageError&) {
    // Not a lineage name (certonly's name is not chosen yet): the flags alone.
  }
  notify::validate(notify::overlay(notify.command_line, saved));
}

void check_renew_notify_flags(const RenewOptions& options) {
  if (options.notify.clear || !has_flags(options.notify.command_line))
    return;
  auto names =
      options.cert_names.empty() ? store::Lineage::list_names(options.paths) : options.cert_names;
  if (names.empty())
    notify::validate(options.notify.command_line);
  for (const auto& name : names) {
    try {
      check_notify_flags(options.paths, name, options.notify);
    } catch (const StorageError&) {
      // An unreadable or unsafe settings file is that lineage's warning after
      // the renewal (notify_renewal_outcomes), never a reason not to renew.
    }
  }
}

bool save_notify_flags(const store::TreePaths& paths, const std::string& lineage,
                       const notify::NotifyOptions& notify) {
  if (notify.clear)
    return notify::clear_lineage_settings(paths, lineage);
  if (!has_flags(notify.command_line))
    return false;
  check_notify_flags(paths, lineage, notify);
  return notify::save_lineage_settings(paths, lineage, notify.command_line);
}

void notify_renewal_outcomes(const RenewOptions& options,
                             const std::vector<LineageOutcome>& outcomes,
                             const util::Clock& clock) noexcept {
  if (options.dry_run)
    return;
  try {
    const notify::NotifySettings& flags = options.notify.command_line;
    std::vector<notify::LineageResult> results;
    for (const auto& outcome : outcomes) {
      if (options.notify.clear) {
        notify::clear_lineage_settings(options.paths, outcome.name);
        continue;
      }
      notify::LineageResult result{
          outcome.name, run_result(outcome.action), "", outcome.domains, std::nullopt, {}, false};
      if (outcome.action == LineageOutcome::Action::failed)
        result.error = outcome.reason;
      if (outcome.not_after.time_since_epoch().count() != 0)
        result.not_after = outcome.not_after;
      result.renewal_disabled = outcome.action == LineageOutcome::Action::not_due &&
                                renewal_disabled(options.paths, outcome.name);
      try {
        result.settings =
            notify::overlay(flags, notify::load_lineage_settings(options.paths, outcome.name));
        // Saved whether or not the lineage renewed, so a later run (the timer) has them.
        if (has_flags(flags)) {
          notify::validate(result.settings);
          notify::save_lineage_settings(options.paths, outcome.name, flags);
        }
      } catch (const std::exception& error) {
        util::log_warning("{}: notification settings: {}", outcome.name, error.what());
      }
      results.push_back(std::move(result));
    }
    // Every lineage of the tree, not only this run's (renew --cert-name B keeps A's state).
    const auto all_names = store::Lineage::list_names(options.paths);
    notify::prune_lineage_settings(options.paths, all_names);
    notify::notify_results(options.notify, results, all_names, options.paths.work_dir, clock);
  } catch (const std::exception& error) {
    util::log_warning("notifications: {}", error.what());
  }
}

} // namespace certsmith::issuance
