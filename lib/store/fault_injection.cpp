#include "store/fault_injection.hpp"

namespace certsmith::store::testing {

namespace {
std::function<void(std::string_view)>& hook_slot() {
  static std::function<void(std::string_view)> hook;
  return hook;
}
} // namespace

void set_fault_hook(std::function<void(std::string_view step)> hook) {
  hook_slot() = std::move(hook);
}

void fault_point(std::string_view step) {
  if (hook_slot()) {
    hook_slot()(step);
  }
}

} // namespace certsmith::store::testing
