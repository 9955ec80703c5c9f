#include "notify/rate_state.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace certsmith::notify;
using namespace std::chrono_literals;

namespace {
const std::chrono::system_clock::time_point t0{std::chrono::seconds(1'800'000'000)};
constexpr std::chrono::seconds day = 24h;
const std::vector<std::string> mail{"mail"};
const std::vector<std::string> both{"mail", "webhook"};

// One run on one channel that delivers whatever is due; returns it.
std::optional<EventKind> run(RateState& state, RunResult result, std::chrono::seconds at,
                             bool expiring = false, bool on_success = false,
                             const std::string& channel = "mail") {
  state.record("a", result, result == RunResult::failed ? "boom" : "", {channel}, t0 + at);
  auto kind = state.due("a", channel, result, expiring, on_success, day, t0 + at);
  if (kind)
    state.delivered("a", channel, *kind, t0 + at);
  return kind;
}
} // namespace

TEST_CASE("notify rate: first failure at once, then once per interval, recovery once") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK(run(state, RunResult::failed, 0s) == EventKind::renewal_failed);
  CHECK_FALSE(run(state, RunResult::failed, 6h));
  CHECK_FALSE(run(state, RunResult::failed, 23h));
  CHECK(run(state, RunResult::failed, 24h) == EventKind::renewal_failed);
  CHECK(state.find("a")->failures == 4);
  CHECK(run(state, RunResult::renewed, 25h) == EventKind::renewal_recovered);
  CHECK_FALSE(run(state, RunResult::renewed, 26h));
}

TEST_CASE("notify rate: success is told only when asked for") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK_FALSE(run(state, RunResult::renewed, 0s));
  CHECK(run(state, RunResult::renewed, 0s, false, true) == EventKind::renewal_succeeded);
  CHECK_FALSE(run(state, RunResult::untouched, 0s, false, true));
}

TEST_CASE("notify rate: expiry warnings at most once per interval") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK(run(state, RunResult::untouched, 0s, true) == EventKind::expiring);
  CHECK_FALSE(run(state, RunResult::untouched, 1h, true));
  CHECK(run(state, RunResult::untouched, day, true) == EventKind::expiring);
}

TEST_CASE("notify rate: the state survives a save and a load") {
  char pattern[] = "/tmp/notify-rate-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(pattern);
  auto path = RateState::default_path(dir);
  auto state = RateState::load(path);
  run(state, RunResult::failed, 0s);
  state.retain({"a"});
  state.save();
  auto reloaded = RateState::load(path);
  REQUIRE(reloaded.find("a") != nullptr);
  CHECK(reloaded.find("a")->failures == 1);
  CHECK_FALSE(run(reloaded, RunResult::failed, 1h));
  CHECK(run(reloaded, RunResult::renewed, 2h) == EventKind::renewal_recovered);
  std::filesystem::remove_all(dir);
}

TEST_CASE("notify rate: a notice that could not be sent is tried again next run") {
  auto state = RateState::from_json("", "/nonexistent");
  state.record("a", RunResult::failed, "boom", mail, t0);
  REQUIRE(state.due("a", "mail", RunResult::failed, false, false, day, t0));
  // not delivered
  CHECK(run(state, RunResult::failed, 1h) == EventKind::renewal_failed);
  CHECK(state.find("a")->failures == 2);
}

TEST_CASE("notify rate: a failed channel is retried alone, the failure count never reset") {
  auto state = RateState::from_json("", "/nonexistent");
  for (int hour = 0; hour < 5; ++hour) {
    auto now = t0 + std::chrono::hours(hour);
    state.record("a", RunResult::failed, "boom", both, now);
    auto mail_kind = state.due("a", "mail", RunResult::failed, false, false, day, now);
    auto hook_kind = state.due("a", "webhook", RunResult::failed, false, false, day, now);
    // mail delivers the first time only; the webhook is down and owed every run
    CHECK(mail_kind.has_value() == (hour == 0));
    CHECK(hook_kind == EventKind::renewal_failed);
    if (mail_kind)
      state.delivered("a", "mail", *mail_kind, now);
    CHECK(state.find("a")->failures == hour + 1);
  }
  state.delivered("a", "webhook", EventKind::renewal_failed, t0 + 5h);
  state.record("a", RunResult::failed, "boom", both, t0 + 6h);
  CHECK_FALSE(state.due("a", "webhook", RunResult::failed, false, false, day, t0 + 6h));
  CHECK(state.find("a")->failures == 6);
}

TEST_CASE("notify rate: a recovery not delivered is told on the next run, even not due") {
  auto state = RateState::from_json("", "/nonexistent");
  run(state, RunResult::failed, 0s);
  state.record("a", RunResult::renewed, "", mail, t0 + 1h);
  REQUIRE(state.due("a", "mail", RunResult::renewed, false, false, day, t0 + 1h) ==
          EventKind::renewal_recovered);
  // not delivered; the next run finds the lineage not due
  state.retain({"a"});
  CHECK(state.find("a") != nullptr);
  CHECK(run(state, RunResult::untouched, 2h) == EventKind::renewal_recovered);
  CHECK_FALSE(run(state, RunResult::untouched, 3h));
  state.retain({"a"});
  CHECK(state.find("a") == nullptr);
}

TEST_CASE("notify rate: a clock set back does not silence failures for ever") {
  auto state = RateState::from_json("", "/nonexistent");
  run(state, RunResult::failed, 0s);
  CHECK(run(state, RunResult::failed, -1h) == EventKind::renewal_failed);
}

TEST_CASE("notify rate: a corrupt or hostile state file is an empty state") {
  std::vector<std::string> hostile{
      "{",
      "[]",
      "{\"lineages\": 3}",
      "{\"lineages\": {\"a\": \"x\"}}",
      std::string(100000, '['),
      // wrong field types
      "{\"lineages\": {\"a\": {\"failing\": \"yes\"}}}",
      "{\"lineages\": {\"a\": {\"failures\": \"many\"}}}",
      "{\"lineages\": {\"a\": {\"failures\": -5, \"failing\": true}}}",
      "{\"lineages\": {\"a\": {\"failing\": true, \"message\": 42}}}",
      "{\"lineages\": {\"a\": {\"failing\": true, \"channels\": []}}}",
      "{\"lineages\": {\"a\": {\"failing\": true, \"channels\": {\"mail\": {\"told_failure\": "
      "\"x\"}}}}}",
      "{\"lineages\": {\"a\": {\"failing\": true, \"channels\": {\"pager\": {}}}}}",
      "{\"lineages\": {\"a\": {\"failing\": true, \"first_failure\": 1e300}}}",
      // a very long lineage name (with a good entry "a" beside it: all is dropped)
      "{\"lineages\": {\"a\": {\"failing\": true}, \"" + std::string(300, 'x') +
          "\": {\"failing\": true}}}",
  };
  for (const auto& text : hostile) {
    INFO(text.substr(0, 120));
    auto state = RateState::from_json(text, "/nonexistent");
    CHECK(state.find("a") == nullptr);
  }
}

TEST_CASE("notify rate: a huge state file is ignored and replaced") {
  char pattern[] = "/tmp/notify-rate-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(pattern);
  auto path = RateState::default_path(dir);
  {
    std::ofstream out(path);
    out << "{\"lineages\": {\"a\": {\"failing\": true}}, \"pad\": \"" << std::string(2 << 20, 'x')
        << "\"}";
  }
  auto state = RateState::load(path);
  CHECK(state.find("a") == nullptr);
  run(state, RunResult::failed, 0s);
  state.save();
  CHECK(std::filesystem::file_size(path) < 4096);
  std::filesystem::remove_all(dir);
}

TEST_CASE("notify rate: lineages that are gone are dropped") {
  auto state = RateState::from_json("", "/nonexistent");
  run(state, RunResult::failed, 0s);
  state.retain({"b"});
  CHECK(state.find("a") == nullptr);
}
