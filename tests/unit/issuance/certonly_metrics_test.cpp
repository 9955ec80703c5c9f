#include "issuance/certonly_metrics.hpp"
#include "issuance/metrics_file.hpp"
#include "store/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

using namespace certsmith;
using namespace std::chrono;
using issuance::LineageFigures;

namespace {

system_clock::time_point at(long long unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

bool contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& piece) {
  std::size_t found = 0;
  for (auto at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1))
    ++found;
  return found;
}

std::filesystem::path fresh_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cmetrics-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

} // namespace

TEST_CASE("certonly's figures for one lineage make a whole file when there is none") {
  std::string text = issuance::merge_lineage_metrics(
      "", LineageFigures{"a.example", at(2000), issuance::RenewalAttempt{at(1000), true}, "real"});
  CHECK(
      contains(text, "certsmith_certificate_expiry_timestamp_seconds{lineage=\"a.example\"} 2000"));
  CHECK(contains(text,
                 "certsmith_renewal_last_attempt_timestamp_seconds{lineage=\"a.example\"} 1000"));
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"a.example\"} 1"));
  CHECK(contains(text, "certsmith_certificate_placeholder{lineage=\"a.example\",kind=\"real\"} 0"));
  CHECK(count(text, "# TYPE ") == 10); // every family, once
}

TEST_CASE("certonly replaces its lineage's lines and keeps every other line of the file") {
  std::string renewed = issuance::renew_metrics_text(
      {}, {{"a", {at(10), false}}, {"a.b", {at(11), true}}}, {at(1), at(5)},
      {{"a", "self-signed-bootstrap"}, {"a.b", "real"}});
  std::string text = issuance::merge_lineage_metrics(
      renewed, LineageFigures{"a", at(3000), issuance::RenewalAttempt{at(20), true}, "real"});
  CHECK(contains(text, "certsmith_renewal_last_attempt_timestamp_seconds{lineage=\"a\"} 20"));
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"a\"} 1"));
  CHECK(contains(text, "certsmith_certificate_placeholder{lineage=\"a\",kind=\"real\"} 0"));
  CHECK_FALSE(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"a\"} 0"));
  CHECK_FALSE(text.find("self-signed-bootstrap") != std::string::npos);
  // A lineage whose name starts like this one's is another lineage.
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"a.b\"} 1"));
  CHECK(contains(text, "certsmith_renew_run_duration_seconds 4.000"));
  CHECK(count(text, "# TYPE ") == 10);

  // A kept certificate (no order): the last attempt's lines stay as they were.
  std::string kept =
      issuance::merge_lineage_metrics(text, LineageFigures{"a", at(3000), std::nullopt, "real"});
  CHECK(contains(kept, "certsmith_renewal_last_attempt_timestamp_seconds{lineage=\"a\"} 20"));
  CHECK(count(kept, "{lineage=\"a\"") == count(text, "{lineage=\"a\""));
}

TEST_CASE("a damaged or hostile metrics file does not carry into the merge") {
  std::string hostile = "certsmith_lineages_examined 3\n"
                        "certsmith_lineages_examined{lineage=\"x} 1\n"      // unclosed label
                        "certsmith_lineages_examined{lineage=\"x\"} 1 2\n"  // two values
                        "certsmith_lineages_examined{lineage=\"x\\q\"} 1\n" // bad escape
                        "certsmith_lineages_examined{=\"x\"} 1\n"           // no label name
                        "certsmith_lineages_examinedx 1\n"                  // another name
                        "certsmith_lineages_failed 1\x1b[31m\n"             // control byte
                        "certsmith_lineages_failed notanumber\n"
                        "other_metric 1\n"
                        "# TYPE certsmith_lineages_examined counter\n"
                        "certsmith_lineages_renewed{lineage=\"q\\\"\\\\\\n\"} 7\n" // escapes kept
                        + std::string(1000, '{') + "\n";
  std::string text = issuance::merge_lineage_metrics(
      hostile, LineageFigures{"n", std::nullopt, issuance::RenewalAttempt{at(5), false}, ""});
  CHECK(contains(text, "certsmith_lineages_examined 3"));
  CHECK(contains(text, "certsmith_lineages_renewed{lineage=\"q\\\"\\\\\\n\"} 7"));
  CHECK(count(text, "certsmith_lineages_examined{") == 0);
  CHECK(text.find("certsmith_lineages_examinedx") == std::string::npos);
  CHECK(text.find("other_metric") == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("notanumber") == std::string::npos);
  CHECK(text.find("counter") == std::string::npos);
  CHECK(count(text, "# TYPE ") == 10);
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"n\"} 0"));
}

TEST_CASE("certonly's metrics: dry run writes nothing, a bad name is skipped, a huge file starts "
          "afresh") {
  auto root = fresh_dir();
  auto paths = store::TreePaths::under(root);
  auto file = root / "m.prom";
  LineageFigures figures{"x.example", at(100), issuance::RenewalAttempt{at(50), true}, ""};
  CHECK(issuance::write_certonly_metrics(file, paths, figures, true));
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(issuance::write_certonly_metrics(file, paths, {"../up", std::nullopt, std::nullopt, ""},
                                         false));
  CHECK_FALSE(std::filesystem::exists(file));

  store::write_file_atomic(file, std::string(17 << 20, 'x'), 0644);
  CHECK(issuance::write_certonly_metrics(file, paths, figures, false));
  std::string text = store::read_file(file, 1 << 20);
  CHECK(contains(text, "certsmith_renewal_last_attempt_success{lineage=\"x.example\"} 1"));
  CHECK(issuance::load_attempts(paths.work_dir).at("x.example").when == at(50));
  CHECK_FALSE(issuance::write_certonly_metrics(root / "missing" / "m.prom", paths, figures, false));
  std::filesystem::remove_all(root);
}

TEST_CASE("certonly figures: a failed run is named as its lineage would be") {
  auto now = std::chrono::system_clock::now();
  issuance::CertonlyRequest request;
  request.domains = {"*.Example.COM", "example.com"};
  auto failed = issuance::failed_certonly_figures(request, now);
  CHECK(failed.name == "example.com"); // a wildcard or upper-case first name still has figures
  REQUIRE(failed.attempt);
  CHECK_FALSE(failed.attempt->succeeded);

  request.cert_name = "shop";
  CHECK(issuance::failed_certonly_figures(request, now).name == "shop");

  request.cert_name.reset();
  request.domains = {"bad domain;rm -rf"};
  CHECK(issuance::failed_certonly_figures(request, now).name.empty()); // nothing written for it
}

TEST_CASE("certonly figures: a kept or restored certificate is no attempt at the CA") {
  auto now = std::chrono::system_clock::now();
  issuance::CertonlyResult result;
  result.lineage_name = "example.com";
  for (auto outcome :
       {issuance::CertonlyResult::Outcome::kept, issuance::CertonlyResult::Outcome::reused}) {
    result.outcome = outcome;
    CHECK_FALSE(issuance::certonly_figures(result, now).attempt);
  }
  result.outcome = issuance::CertonlyResult::Outcome::issued;
  auto issued = issuance::certonly_figures(result, now);
  REQUIRE(issued.attempt);
  CHECK(issued.attempt->succeeded);
}
