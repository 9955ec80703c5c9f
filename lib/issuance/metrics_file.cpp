#include "issuance/metrics_file.hpp"

#include "issuance/fallback.hpp"
#include "issuance/metrics_format.hpp"
#include "renew/record_file.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/unix_time.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

constexpr std::string_view k_attempts_magic = "certsmith renewal-attempts 1";
constexpr std::size_t k_attempts_max_bytes = 16 * 1024 * 1024;

std::filesystem::path attempts_path(const std::filesystem::path& work_dir) {
  return work_dir / "renewal-attempts";
}

using util::unix_seconds;

std::string label_value(std::string_view value) {
  return metrics_label_value(value);
}

void family(std::string& text, std::string_view name) {
  text += metric_family_header(name);
}

/// What each lineage of the summary serves, from its renewal conf; a lineage
/// whose conf cannot be read has no line.
LiveKinds live_kinds_of(const store::TreePaths& paths, const RenewSummary& summary) {
  LiveKinds kinds;
  for (const auto& outcome : summary.outcomes) {
    try {
      auto lineage = store::Lineage::load_for_check(paths, outcome.name);
      kinds[outcome.name] = std::string(live_kind_name(live_kind_of(lineage.params())));
    } catch (const Error&) {
    }
  }
  return kinds;
}

} // namespace

RenewalAttempts merge_attempts(const RenewalAttempts& previous, const RenewSummary& summary,
                               std::chrono::system_clock::time_point now) {
  RenewalAttempts merged = previous;
  for (const auto& outcome : summary.outcomes) {
    if (outcome.action == LineageOutcome::Action::renewed)
      merged[outcome.name] = {now, true};
    else if (outcome.action == LineageOutcome::Action::failed)
      merged[outcome.name] = {now, false};
  }
  return merged;
}

std::string renew_metrics_text(const RenewSummary& summary, const RenewalAttempts& attempts,
                               RunTimes times, const LiveKinds& live_kinds) {
  std::string text;
  family(text, "certsmith_certificate_expiry_timestamp_seconds");
  for (const auto& outcome : summary.outcomes) {
    if (outcome.not_after.time_since_epoch().count() == 0)
      continue; // no readable certificate: no expiry to report
    text += fmt::format("certsmith_certificate_expiry_timestamp_seconds{{lineage=\"{}\"}} {}\n",
                        label_value(outcome.name), unix_seconds(outcome.not_after));
  }
  family(text, "certsmith_renewal_last_attempt_timestamp_seconds");
  for (const auto& [name, attempt] : attempts)
    text += fmt::format("certsmith_renewal_last_attempt_timestamp_seconds{{lineage=\"{}\"}} {}\n",
                        label_value(name), unix_seconds(attempt.when));
  family(text, "certsmith_renewal_last_attempt_success");
  for (const auto& [name, attempt] : attempts)
    text += fmt::format("certsmith_renewal_last_attempt_success{{lineage=\"{}\"}} {}\n",
                        label_value(name), attempt.succeeded ? 1 : 0);

  family(text, "certsmith_certificate_placeholder");
  for (const auto& [name, kind] : live_kinds)
    text += fmt::format("certsmith_certificate_placeholder{{lineage=\"{}\",kind=\"{}\"}} {}\n",
                        label_value(name), label_value(kind), kind == "real" ? 0 : 1);

  int renewed = 0, failed = 0;
  for (const auto& outcome : summary.outcomes) {
    renewed += outcome.action == LineageOutcome::Action::renewed;
    failed += outcome.action == LineageOutcome::Action::failed;
  }
  auto duration = std::chrono::duration<double>(times.finished - times.started).count();
  family(text, "certsmith_renew_run_timestamp_seconds");
  text += fmt::format("certsmith_renew_run_timestamp_seconds {}\n", unix_seconds(times.finished));
  family(text, "certsmith_renew_run_duration_seconds");
  text += fmt::format("certsmith_renew_run_duration_seconds {:.3f}\n", duration);
  family(text, "certsmith_renew_run_success");
  text += fmt::format("certsmith_renew_run_success {}\n", times.completed && failed == 0 ? 1 : 0);
  family(text, "certsmith_lineages_examined");
  text += fmt::format("certsmith_lineages_examined {}\n", summary.outcomes.size());
  family(text, "certsmith_lineages_renewed");
  text += fmt::format("certsmith_lineages_renewed {}\n", renewed);
  family(text, "certsmith_lineages_failed");
  text += fmt::format("certsmith_lineages_failed {}\n", failed);
  return text;
}

RenewalAttempts load_attempts(const std::filesystem::path& work_dir) {
  std::string text;
  try {
    text = store::read_file(attempts_path(work_dir), k_attempts_max_bytes);
  } catch (const StorageError&) {
    return {}; // absent or unreadable: the history starts again
  }
  bool out_of_range = false;
  RenewalAttempts attempts;
  bool sound = renew::parse_records(
      text, k_attempts_magic, 3, [&](const std::vector<std::string_view>& fields) {
        auto name = renew::unescape_field(fields[0]);
        auto seconds = renew::parse_integer_field(fields[1]);
        auto when = seconds ? util::time_from_unix(*seconds) : std::nullopt;
        out_of_range = out_of_range || (seconds && !when);
        if (!name || name->empty() || name->find('/') != std::string::npos || !when ||
            (fields[2] != "ok" && fields[2] != "failed"))
          return false;
        attempts[*name] = {*when, fields[2] == "ok"};
        return true;
      });
  if (!sound)
    util::log_warning("{}: {}; the renewal attempts start again", attempts_path(work_dir).string(),
                      out_of_range ? "a time out of range" : "damaged or foreign");
  return sound ? attempts : RenewalAttempts{};
}

void save_attempts(const std::filesystem::path& work_dir, const RenewalAttempts& attempts) {
  renew::RecordWriter writer(k_attempts_magic);
  for (const auto& [name, attempt] : attempts)
    writer.add({renew::escape_field(name), std::to_string(unix_seconds(attempt.when)),
                attempt.succeeded ? "ok" : "failed"});
  store::make_private_dirs(work_dir, 0700);
  store::write_file_atomic(attempts_path(work_dir), writer.finish(), 0600);
}

bool write_renew_metrics(const std::filesystem::path& metrics_file, const store::TreePaths& paths,
                         const RenewSummary& summary, RunTimes times, bool dry_run) {
  if (dry_run) { // simulated counts must not replace what the collector reports
    util::log_debug("dry run: the metrics file {} is not written", metrics_file.string());
    return true;
  }
  try {
    RenewalAttempts attempts =
        merge_attempts(load_attempts(paths.work_dir), summary, times.finished);
    std::erase_if(attempts, [&](const auto& entry) {
      std::error_code error;
      return !std::filesystem::exists(paths.renewal_conf(entry.first), error);
    });
    save_attempts(paths.work_dir, attempts);
    store::write_file_atomic(
        metrics_file, renew_metrics_text(summary, attempts, times, live_kinds_of(paths, summary)),
        0644);
    return true;
  } catch (const Error& error) {
    util::log_warning("the metrics file was not written: {}", error.what());
    return false;
  }
}

} // namespace certsmith::issuance
