#include "issuance/renew_summary_json.hpp"

#include "util/clock.hpp"

namespace certsmith::issuance {

nlohmann::json renew_summary_json(const RenewSummary& summary, bool dry_run) {
  nlohmann::json lineages = nlohmann::json::array();
  int counts[3] = {0, 0, 0}; // by LineageOutcome::Action
  for (const auto& outcome : summary.outcomes) {
    ++counts[static_cast<int>(outcome.action)];
    nlohmann::json entry = {{"name", outcome.name},
                            {"action", action_name(outcome.action)},
                            {"reason", outcome.reason},
                            {"domains", outcome.domains}};
    // Absent, not null, when no certificate could be read (a lineage that failed before).
    if (outcome.not_after.time_since_epoch().count() != 0)
      entry["not_after"] = util::rfc3339_utc(outcome.not_after);
    if (outcome.version > 0)
      entry["version"] = outcome.version;
    lineages.push_back(std::move(entry));
  }
  nlohmann::json hook_failures = nlohmann::json::array();
  for (const auto& failure : summary.hook_failures)
    hook_failures.push_back({{"stage", hooks::stage_name(failure.stage)},
                             {"hook", failure.hook},
                             {"reason", failure.reason}});
  return {{"schema_version", k_renew_json_schema_version},
          {"dry_run", dry_run},
          {"renewed", counts[static_cast<int>(LineageOutcome::Action::renewed)]},
          {"not_due", counts[static_cast<int>(LineageOutcome::Action::not_due)]},
          {"failed", counts[static_cast<int>(LineageOutcome::Action::failed)]},
          {"lineages", std::move(lineages)},
          {"hook_failures", std::move(hook_failures)}};
}

} // namespace certsmith::issuance
