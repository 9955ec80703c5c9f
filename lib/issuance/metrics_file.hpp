#pragma once
// `--metrics-file PATH`: what a run of `renew` found and did, as a Prometheus
// textfile (node_exporter's textfile collector format), so that expiring or
// failing certificates raise an alert without anyone reading the logs.
//
// The last attempt of each lineage outlives the run that made it: a run that
// finds nothing due would otherwise erase the record of yesterday's failure.
// It is kept in WORK_DIR/renewal-attempts (one record per existing lineage).
//
// A run that throws still writes the file (run success 0, its duration); a
// dry run writes nothing (its counts are simulated); a file that cannot be
// written is a warning, not a failed renewal.

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
  bool completed = true; // false: the run ended with an error before its summary
};

/// Lineage name -> live_kind_name of what it serves ("real", "self-signed-bootstrap", ...).
using LiveKinds = std::map<std::string, std::string>;

/// `previous` with this run's attempts laid over it (a run limited by
/// --cert-name keeps the others' records).
RenewalAttempts merge_attempts(const RenewalAttempts& previous, const RenewSummary& summary,
                               std::chrono::system_clock::time_point now);

/// The textfile: per-lineage expiry, last attempt and whether a placeholder
/// (fallback.hpp) is live, the run's time, duration and success, lineages
/// total/renewed/failed.
std::string renew_metrics_text(const RenewSummary& summary, const RenewalAttempts& attempts,
                               RunTimes times, const LiveKinds& live_kinds = {});

/// WORK_DIR/renewal-attempts; empty when absent, foreign or damaged (a time
/// out of range is damage; damage is reported with one warning).
RenewalAttempts load_attempts(const std::filesystem::path& work_dir);
void save_attempts(const std::filesystem::path& work_dir, const RenewalAttempts& attempts);

/// Merge and save the attempts (a lineage whose renewal conf is gone drops
/// out), then replace metrics_file atomically (mode 0644: node_exporter
/// usually runs as another user). A dry run writes nothing (said at debug
/// level). A write that fails is one warning; false then.
bool write_renew_metrics(const std::filesystem::path& metrics_file, const store::TreePaths& paths,
                         const RenewSummary& summary, RunTimes times, bool dry_run);

} // namespace certsmith::issuance
