#include "util/clock.hpp"

#include <thread>

namespace certsmith::util {

void SystemClock::sleep_for(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

} // namespace certsmith::util
