#pragma once
// `--metrics-file PATH`: what a run of `renew` found and did, as a Prometheus
// textfile (node_exporter's textfile collector format), so that expiring or
// failing certificates raise an alert without anyone reading the logs.
//
// The last attempt of each lineage outlives the run that made it: a run that
// finds nothing due would otherwise erase the record of yesterday's failure.
// It is kept in WORK_DIR/renewal-attempts (one record per existing lineage).

#include "issuance/renew_all.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace certsmith::issuance {

struct RenewalAttempt {
  std::chrono::system_clock::time_point when;
  bool succeeded = false;
};

/// Lineage name -> its last renewal attempt.
using RenewalAttempts = std::map<std::string, RenewalAttempt>;

struct RunTimes {
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
};

/// `previous` with this run's attempts laid over it (a run limited by
/// --cert-name keeps the others' records).
RenewalAttempts merge_attempts(const RenewalAttempts& previous, const RenewSummary& summary,
                               std::chrono::system_clock::time_point now);

/// The textfile: per-lineage expiry and last attempt, the run's time and
/// duration, lineages total/renewed/failed.
std::string renew_metrics_text(const RenewSummary& summary, const RenewalAttempts& attempts,
                               RunTimes times);

/// WORK_DIR/renewal-attempts; empty when absent, foreign or damaged.
RenewalAttempts load_attempts(const std::filesystem::path& work_dir);
void save_attempts(const std::filesystem::path& work_dir, const RenewalAttempts& attempts);

/// Merge and save the attempts (not for a dry run; a lineage whose renewal
/// conf is gone drops out), then replace metrics_file atomically (mode 0644:
/// node_exporter usually runs as another user). Throws StorageError.
void write_renew_metrics(const std::filesystem::path& metrics_file, const store::TreePaths& paths,
                         const RenewSummary& summary, RunTimes times, bool dry_run);

} // namespace certsmith::issuance
