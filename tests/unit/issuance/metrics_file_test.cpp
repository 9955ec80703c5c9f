#include "issuance/metrics_file.hpp"
#include "renew/record_file.hpp"
#include "store/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <sys/stat.h>

using namespace certsmith;
using namespace std::chrono;
using issuance::LineageOutcome;

namespace {

system_clock::time_point at(long long unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

LineageOutcome outcome(std::string name, LineageOutcome::Action action, long long not_after) {
  LineageOutcome result;
  result.name = std::move(name);
  result.action = action;
  if (not_after != 0)
    result.not_after = at(not_after);
  return result;
}

std::filesystem::path fresh_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "metrics-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

bool contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("metrics give each lineage's expiry and last attempt, and the run's totals") {
  issuance::RenewSummary summary;
  summary.outcomes = {outcome("a.example", LineageOutcome::Action::renewed, 2000000000),
                      outcome("b.example", LineageOutcome::Action::failed, 1900000000),
                      outcome("c.example", LineageOutcome::Action::not_due, 2100000000)};
  issuance::RenewalAttempts previous = {{"c.example", {at(1700000000), true}},
                                        {"gone.example", {at(1700000000), false}}};
  auto attempts = issuance::merge_attempts(previous, summary, at(1800000000));
  REQUIRE(attempts.size() == 4); // merging keeps what this run did not attempt
  std::string text =
      issuance::renew_metrics_text(summary, attempts, {at(1799999990), at(1800000000)});

  CHECK(contains(text, "# TYPE certsmith_certificate_expiry_timestamp_seconds gauge"));
  CHECK(contains(
      text, "certsmith_certificate_expiry_timestamp_seconds{lineage=\"a.example\"} 2000000000"));
  CHECK(contains(
      text, "certsmith_certificate_expiry_timestamp_seconds{lineage=\"c.example\"} 2100000000"));
  CHECK(contains(
      text, "certsmith_renewal_last_attempt_timestamp_seconds{lineage=\"b.example\"} 1800000000"));
  CHECK(contains(
      text, "certsmith_renewal_last_attempt_timestamp_seconds{lineage=\"c.example\"} 1700000000"));
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"a.example\"} 1"));
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"b.example\"} 0"));
  CHECK(contains(text, "certsmith_renew_run_duration_seconds 10.000"));
  CHECK(contains(text, "certsmith_lineages_examined 3"));
  CHECK(contains(text, "certsmith_lineages_renewed 1"));
  CHECK(contains(text, "certsmith_lineages_failed 1"));
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"gone.example\"} 0"));
}

TEST_CASE("a lineage without a readable certificate has no expiry line") {
  issuance::RenewSummary summary;
  summary.outcomes = {outcome("broken", LineageOutcome::Action::failed, 0)};
  std::string text = issuance::renew_metrics_text(summary, {}, {at(1), at(2)});
  CHECK(text.find("expiry_timestamp_seconds{") == std::string::npos);
}

TEST_CASE("hostile label values cannot break the metrics file's syntax") {
  issuance::RenewSummary summary;
  summary.outcomes = {outcome("a\"b\\c\nd", LineageOutcome::Action::not_due, 5)};
  std::string text = issuance::renew_metrics_text(summary, {}, {at(1), at(2)});
  CHECK(contains(text,
                 "certsmith_certificate_expiry_timestamp_seconds{lineage=\"a\\\"b\\\\c\\nd\"} 5"));
}

TEST_CASE("renewal attempts survive a run that attempts nothing, and damage is forgotten") {
  auto paths = store::TreePaths::under(fresh_dir());
  auto work_dir = paths.work_dir;
  store::make_private_dirs(paths.renewal_dir(), 0700);
  store::write_file_atomic(paths.renewal_conf("x,%\tname"), "", 0600);
  issuance::RenewSummary failed;
  failed.outcomes = {outcome("x,%\tname", LineageOutcome::Action::failed, 5)};
  auto metrics = work_dir / "certsmith.prom";
  issuance::write_renew_metrics(metrics, paths, failed, {at(100), at(200)}, false);
  auto attempts = issuance::load_attempts(work_dir);
  REQUIRE(attempts.count("x,%\tname") == 1);
  CHECK(attempts["x,%\tname"].when == at(200));
  CHECK_FALSE(attempts["x,%\tname"].succeeded);

  issuance::RenewSummary quiet;
  quiet.outcomes = {outcome("x,%\tname", LineageOutcome::Action::not_due, 5)};
  issuance::write_renew_metrics(metrics, paths, quiet, {at(300), at(400)}, false);
  std::string text = store::read_file(metrics, 1 << 20);
  CHECK(text.find("last_attempt_success{lineage=\"x,%\tname\"} 0\n") != std::string::npos);
  struct stat info {};
  REQUIRE(::stat(metrics.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0644);
  REQUIRE(::stat((work_dir / "renewal-attempts").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  store::write_file_atomic(work_dir / "renewal-attempts", "certsmith renewal-attempts 1\nx\t",
                           0600);
  CHECK(issuance::load_attempts(work_dir).empty());
  std::filesystem::remove_all(paths.config_dir.parent_path());
}

TEST_CASE("a lineage whose renewal conf is gone drops out of the record") {
  auto paths = store::TreePaths::under(fresh_dir());
  issuance::save_attempts(paths.work_dir,
                          {{"deleted", {at(1), false}}, {"../escape", {at(1), true}}});
  CHECK(issuance::load_attempts(paths.work_dir).empty()); // a name with '/' makes the file foreign
  issuance::save_attempts(paths.work_dir, {{"deleted", {at(1), false}}});
  REQUIRE(issuance::load_attempts(paths.work_dir).size() == 1);
  issuance::write_renew_metrics(paths.work_dir / "m.prom", paths, {}, {at(1), at(2)}, false);
  CHECK(issuance::load_attempts(paths.work_dir).empty());
  std::filesystem::remove_all(paths.config_dir.parent_path());
}

TEST_CASE("a dry run writes neither the metrics file nor its attempts") {
  auto work_dir = fresh_dir();
  issuance::RenewSummary summary;
  summary.outcomes = {outcome("dry", LineageOutcome::Action::renewed, 5)};
  CHECK(issuance::write_renew_metrics(work_dir / "m.prom", store::TreePaths::under(work_dir),
                                      summary, {at(1), at(2)}, true));
  CHECK_FALSE(std::filesystem::exists(work_dir / "m.prom"));
  CHECK(issuance::load_attempts(store::TreePaths::under(work_dir).work_dir).empty());
  std::filesystem::remove_all(work_dir);
}

TEST_CASE("a run that stopped with an error is reported as failed, with its duration") {
  std::string text = issuance::renew_metrics_text({}, {}, {at(10), at(13), false});
  CHECK(contains(text, "certsmith_renew_run_success 0"));
  CHECK(contains(text, "certsmith_renew_run_duration_seconds 3.000"));
  CHECK(contains(text, "certsmith_renew_run_timestamp_seconds 13"));
  issuance::RenewSummary fine;
  fine.outcomes = {outcome("a", LineageOutcome::Action::not_due, 5)};
  CHECK(contains(issuance::renew_metrics_text(fine, {}, {at(1), at(2)}),
                 "certsmith_renew_run_success 1"));
  fine.outcomes.push_back(outcome("b", LineageOutcome::Action::failed, 5));
  CHECK(contains(issuance::renew_metrics_text(fine, {}, {at(1), at(2)}),
                 "certsmith_renew_run_success 0"));
}

TEST_CASE("a gauge says which lineages serve a placeholder") {
  std::string text = issuance::renew_metrics_text(
      {}, {}, {at(1), at(2)}, {{"boot", "self-signed-bootstrap"}, {"ok", "real"}});
  CHECK(contains(text, "certsmith_certificate_placeholder{lineage=\"boot\",kind=\"self-signed-"
                       "bootstrap\"} 1"));
  CHECK(contains(text, "certsmith_certificate_placeholder{lineage=\"ok\",kind=\"real\"} 0"));
}

TEST_CASE("a metrics file that cannot be written is a warning, not an error") {
  auto paths = store::TreePaths::under(fresh_dir());
  CHECK_FALSE(issuance::write_renew_metrics(paths.work_dir / "missing" / "m.prom", paths, {},
                                            {at(1), at(2)}, false));
  std::filesystem::remove_all(paths.config_dir.parent_path());
}

TEST_CASE("hostile times in the renewal attempts are refused, not turned into time points") {
  auto work_dir = fresh_dir();
  auto file_with = [](const char* when) {
    renew::RecordWriter writer("certsmith renewal-attempts 1");
    writer.add({"name", when, "ok"});
    return writer.finish();
  };
  store::write_file_atomic(work_dir / "renewal-attempts", file_with("1700000000"), 0600);
  REQUIRE(issuance::load_attempts(work_dir).size() == 1); // the file itself is sound
  for (const char* when : {"-1", "9223372036854775807", "-9223372036854775808",
                           "99999999999999999999", "7258118401", "1e9", "0x10"}) {
    store::write_file_atomic(work_dir / "renewal-attempts", file_with(when), 0600);
    INFO(when);
    CHECK(issuance::load_attempts(work_dir).empty());
  }
  // A huge file is not read whole.
  store::write_file_atomic(work_dir / "renewal-attempts",
                           "certsmith renewal-attempts 1\n" + std::string(17 << 20, 'x'), 0600);
  CHECK(issuance::load_attempts(work_dir).empty());
  std::filesystem::remove_all(work_dir);
}
