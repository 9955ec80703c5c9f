#pragma once
// A Clock whose sleep_for advances time at once and records each sleep.

#include "util/clock.hpp"

#include <vector>

namespace certsmith::testing {

class FakeClock : public util::Clock {
public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)))
      : m_now(start) {}
  TimePoint now() const override { return m_now; }
  void sleep_for(std::chrono::milliseconds duration) override {
    m_sleeps.push_back(duration);
    m_now += duration;
  }
  void advance(std::chrono::milliseconds duration) { m_now += duration; }
  const std::vector<std::chrono::milliseconds>& sleeps() const { return m_sleeps; }

private:
  TimePoint m_now;
  std::vector<std::chrono::milliseconds> m_sleeps;
};

} // namespace certsmith::testing
