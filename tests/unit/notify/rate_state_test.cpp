#include "notify/rate_state.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::notify;
using namespace std::chrono_literals;

namespace {
const std::chrono::system_clock::time_point t0{std::chrono::seconds(1'800'000'000)};
constexpr std::chrono::seconds day = 24h;
} // namespace

TEST_CASE("notify rate: first failure at once, then once per interval, recovery once") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK(state.record("a", RunResult::failed, "boom", false, false, day, t0) ==
        EventKind::renewal_failed);
  CHECK_FALSE(state.record("a", RunResult::failed, "boom", false, false, day, t0 + 6h));
  CHECK_FALSE(state.record("a", RunResult::failed, "boom", false, false, day, t0 + 23h));
  CHECK(state.record("a", RunResult::failed, "boom", false, false, day, t0 + 24h) ==
        EventKind::renewal_failed);
  CHECK(state.find("a")->failures == 4);
  CHECK(state.record("a", RunResult::renewed, "", false, false, day, t0 + 25h) ==
        EventKind::renewal_recovered);
  CHECK(state.find("a")->message == "boom");
  CHECK_FALSE(state.record("a", RunResult::renewed, "", false, false, day, t0 + 26h));
}

TEST_CASE("notify rate: success is told only when asked for") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK_FALSE(state.record("a", RunResult::renewed, "", false, false, day, t0));
  CHECK(state.record("a", RunResult::renewed, "", false, true, day, t0) ==
        EventKind::renewal_succeeded);
  CHECK_FALSE(state.record("a", RunResult::untouched, "", false, true, day, t0));
}

TEST_CASE("notify rate: expiry warnings at most once per interval") {
  auto state = RateState::from_json("", "/nonexistent");
  CHECK(state.record("a", RunResult::untouched, "", true, false, day, t0) == EventKind::expiring);
  CHECK_FALSE(state.record("a", RunResult::untouched, "", true, false, day, t0 + 1h));
  CHECK(state.record("a", RunResult::untouched, "", true, false, day, t0 + day) ==
        EventKind::expiring);
}

TEST_CASE("notify rate: the state survives a save and a load") {
  auto state = RateState::from_json("", "/nonexistent");
  state.record("a", RunResult::failed, "boom", false, false, day, t0);
  state.record("b", RunResult::renewed, "", false, false, day, t0);
  state.retain({"a", "b"});
  auto reloaded = RateState::from_json(state.to_json(), "/nonexistent");
  REQUIRE(reloaded.find("a") != nullptr);
  CHECK(reloaded.find("b") == nullptr); // nothing to remember
  CHECK_FALSE(reloaded.record("a", RunResult::failed, "boom", false, false, day, t0 + 1h));
  CHECK(reloaded.record("a", RunResult::renewed, "", false, false, day, t0 + 2h) ==
        EventKind::renewal_recovered);
}

TEST_CASE("notify rate: a notice that could not be sent is tried again next run") {
  auto state = RateState::from_json("", "/nonexistent");
  REQUIRE(state.record("a", RunResult::failed, "boom", false, false, day, t0));
  state.forget_notice("a", EventKind::renewal_failed);
  CHECK(state.record("a", RunResult::failed, "boom", false, false, day, t0 + 1h) ==
        EventKind::renewal_failed);
}

TEST_CASE("notify rate: a clock set back does not silence failures for ever") {
  auto state = RateState::from_json("", "/nonexistent");
  state.record("a", RunResult::failed, "boom", false, false, day, t0);
  CHECK(state.record("a", RunResult::failed, "boom", false, false, day, t0 - 1h) ==
        EventKind::renewal_failed);
}

TEST_CASE("notify rate: a corrupt or hostile state file is an empty state") {
  for (std::string text :
       std::vector<std::string>{"{", "[]", "{\"lineages\": 3}", "{\"lineages\": {\"a\": \"x\"}}",
                                std::string(100000, '[')}) {
    auto state = RateState::from_json(text, "/nonexistent");
    CHECK(state.find("a") == nullptr);
  }
}

TEST_CASE("notify rate: lineages that are gone are dropped") {
  auto state = RateState::from_json("", "/nonexistent");
  state.record("a", RunResult::failed, "x", false, false, day, t0);
  state.retain({"b"});
  CHECK(state.find("a") == nullptr);
}
