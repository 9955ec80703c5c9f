#include "notify/notifier.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith;
using namespace certsmith::notify;
using namespace std::chrono_literals;

namespace {

struct RecordingMail : MailSender {
  std::vector<std::pair<SmtpServer, Email>> sent;
  bool fail = false;
  void send(const SmtpServer& server, const Email& email) override {
    if (fail)
      throw NetworkError("SMTP smtp://127.0.0.1:1: connection refused");
    sent.emplace_back(server, email);
  }
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/notify-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

LineageResult failed(const NotifySettings& settings) {
  return {"example.com",   RunResult::failed, "connection refused",
          {"example.com"}, std::nullopt,      settings};
}

} // namespace

TEST_CASE("notifier: a failed renewal is mailed and posted once, then not again within the "
          "interval, recovery once") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  testing::ScriptedTransport webhook;
  NotifyOptions options;
  options.mail = &mail;
  options.webhook = &webhook;
  options.host = "web1";
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  settings.webhook = "http://127.0.0.1:9/hook";

  webhook.expect(testing::json_response(204, ""), false);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) ==
        2); // one per channel
  REQUIRE(mail.sent.size() == 1);
  CHECK(mail.sent[0].second.to == std::vector<std::string>{"ops@example.com"});
  CHECK(mail.sent[0].second.from == "certsmith@web1");
  REQUIRE(webhook.requests().size() == 1);
  CHECK(webhook.requests()[0].method == "POST");
  CHECK(nlohmann::json::parse(webhook.requests()[0].body)["event"] == "renewal_failed");
  CHECK((std::filesystem::status(dir.path / "notify-state.json").permissions() &
         std::filesystem::perms::others_read) == std::filesystem::perms::none);

  clock.advance(1h);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
  CHECK(mail.sent.size() == 1);

  clock.advance(1h);
  webhook.expect(testing::json_response(200, "{}"), false);
  LineageResult renewed = failed(settings);
  renewed.result = RunResult::renewed;
  renewed.error.clear();
  CHECK(notify_results(options, {renewed}, {"example.com"}, dir.path, clock) == 2);
  CHECK(mail.sent.size() == 2);
  auto recovered = nlohmann::json::parse(webhook.requests()[1].body);
  CHECK(recovered["event"] == "renewal_recovered");
  CHECK(recovered["error"] == "connection refused");
  auto state = nlohmann::json::parse(std::ifstream(dir.path / "notify-state.json"));
  CHECK(state["lineages"].empty()); // nothing left to remember
}

TEST_CASE("notifier: a failing notification is a warning and is tried again next run") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  mail.fail = true;
  NotifyOptions options;
  options.mail = &mail;
  options.host = "web1";
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:1";
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
  mail.fail = false;
  clock.advance(1min);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 1);
}

TEST_CASE("notifier: a webhook answering an error status counts as not delivered") {
  TempDir dir;
  testing::FakeClock clock;
  testing::ScriptedTransport webhook;
  NotifyOptions options;
  options.webhook = &webhook;
  NotifySettings settings;
  settings.webhook = "https://hooks.example.com/x";
  webhook.expect(testing::json_response(500, std::string(1000, 'x')), false);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
  webhook.expect(
      [](const http::Request&) -> http::Response { throw NetworkError("timed out after 15 s"); });
  clock.advance(1min);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
}

TEST_CASE("notifier: hostile settings from a renewal conf are refused, nothing is sent") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com\r\nBcc: x@y.z"};
  settings.smtp_url = "smtp://127.0.0.1:25";
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
  CHECK(mail.sent.empty());
}

TEST_CASE("notifier: an expiring lineage renewal is not fixing is told, a healthy one is not") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:25";
  settings.expiry_days = 10;
  // Healthy (not due, autorenew on, not failing): quiet even inside the window.
  LineageResult result{"a", RunResult::untouched, "", {"a.example"}, clock.now() + 48h, settings};
  CHECK(notify_results(options, {result}, {"a"}, dir.path, clock) == 0);
  // autorenew = False: nothing will renew it.
  result.renewal_disabled = true;
  CHECK(notify_results(options, {result}, {"a"}, dir.path, clock) == 1);
  CHECK(mail.sent.back().second.message.find("X-Certsmith-Event: expiring") != std::string::npos);
  result.not_after = clock.now() + 24h * 20;
  clock.advance(48h);
  CHECK(notify_results(options, {result}, {"a"}, dir.path, clock) == 0);
}

TEST_CASE("notifier: a failing lineage inside the window gets the expiry notice too") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:25";
  settings.expiry_days = 10;
  LineageResult result = failed(settings);
  result.not_after = clock.now() + 48h;
  CHECK(notify_results(options, {result}, {"example.com"}, dir.path, clock) == 1); // failure
  clock.advance(1h);
  CHECK(notify_results(options, {result}, {"example.com"}, dir.path, clock) == 1); // expiring
  CHECK(mail.sent.back().second.message.find("X-Certsmith-Event: expiring") != std::string::npos);
  clock.advance(1h);
  CHECK(notify_results(options, {result}, {"example.com"}, dir.path, clock) == 0);
}

TEST_CASE("notifier: webhook down, mail up: mail sent once, the webhook alone retried") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  testing::ScriptedTransport webhook;
  NotifyOptions options;
  options.mail = &mail;
  options.webhook = &webhook;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  settings.webhook = "http://127.0.0.1:9/hook";
  for (int run = 0; run < 3; ++run) {
    webhook.expect(testing::json_response(500, ""), false);
    CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) ==
          (run == 0 ? 1 : 0));
    clock.advance(1h);
  }
  CHECK(mail.sent.size() == 1);
  webhook.expect(testing::json_response(204, ""), false);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 1);
  CHECK(mail.sent.size() == 1);
  auto document = nlohmann::json::parse(webhook.requests().back().body);
  CHECK(document["failures"] == 4); // never reset by the failed sends
  clock.advance(1h);
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 0);
  CHECK(webhook.requests().size() == 4);
}

TEST_CASE("notifier: state of lineages not in this run is kept") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  LineageResult a = failed(settings);
  a.name = "a";
  CHECK(notify_results(options, {a}, {"a", "b"}, dir.path, clock) == 1);
  LineageResult b = failed(settings);
  b.name = "b";
  b.result = RunResult::untouched;
  clock.advance(1h);
  CHECK(notify_results(options, {b}, {"a", "b"}, dir.path, clock) == 0);
  clock.advance(1h);
  CHECK(notify_results(options, {a}, {"a", "b"}, dir.path, clock) == 0); // still rate-limited
}

TEST_CASE("notifier: the send budget is measured on the clock seam") {
  TempDir dir;
  testing::FakeClock clock;
  struct SlowMail : MailSender {
    testing::FakeClock* clock;
    int sends = 0;
    void send(const SmtpServer&, const Email&) override {
      ++sends;
      clock->advance(200s);
    }
  } mail;
  mail.clock = &clock;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  LineageResult a = failed(settings), b = failed(settings);
  a.name = "a";
  b.name = "b";
  CHECK(notify_results(options, {a, b}, {"a", "b"}, dir.path, clock) == 1);
  CHECK(mail.sends == 1);
}

TEST_CASE("notifier: the lineage's --notify-ca-bundle reaches the SMTP server settings") {
  TempDir dir;
  testing::FakeClock clock;
  RecordingMail mail;
  NotifyOptions options;
  options.mail = &mail;
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  settings.ca_bundle = "/etc/notify-ca.pem";
  CHECK(notify_results(options, {failed(settings)}, {"example.com"}, dir.path, clock) == 1);
  CHECK(mail.sent.at(0).first.ca_bundle == "/etc/notify-ca.pem");
  settings.ca_bundle.clear();
  LineageResult other = failed(settings);
  other.name = "b";
  CHECK(notify_results(options, {other}, {"b"}, dir.path, clock) == 1);
  CHECK(mail.sent.at(1).first.ca_bundle.empty()); // the system store, not --ca-bundle
}

TEST_CASE("notifier: SMTP credentials must be a private file") {
  TempDir dir;
  auto path = dir.path / "smtp.ini";
  std::ofstream(path) << "# mail\nsmtp_username = certs\nsmtp_password = s3cret = yes\n";
  ::chmod(path.c_str(), 0644);
  CHECK_THROWS_AS(read_smtp_credentials(path), UsageError);
  ::chmod(path.c_str(), 0600);
  auto credentials = read_smtp_credentials(path);
  CHECK(credentials.username == "certs");
  CHECK(credentials.password == "s3cret = yes");
  std::ofstream(path) << "smtp_username = certs\n";
  CHECK_THROWS_AS(read_smtp_credentials(path), UsageError);
  CHECK_THROWS_AS(read_smtp_credentials(dir.path), UsageError);
  CHECK_THROWS_AS(read_smtp_credentials(dir.path / "missing"), UsageError);
}
