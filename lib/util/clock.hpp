#pragma once
// The time seam: "now" and waiting. Polling, backoff and due-ness take a Clock
// so tests run without sleeping (tests/support/fake_clock.hpp).

#include <chrono>
#include <string>

namespace certsmith::util {

class Clock {
public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

/// The real clock.
class SystemClock : public Clock {
public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override;
};

/// RFC 3339 UTC time to the second, "2026-11-23T15:30:00Z" (JSON outputs).
std::string rfc3339_utc(Clock::TimePoint when);

} // namespace certsmith::util
