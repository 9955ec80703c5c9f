#pragma once
// A test seam for the multi-step writes in store/: tests make a named step
// fail to prove that the tree stays consistent.

#include <functional>
#include <string_view>

namespace certsmith::store::testing {

/// Install `hook`, called with the name of each step of create_lineage and
/// save_successor ("successor:archive-written", "successor:before-exchange",
/// "successor:after-exchange", "create:archive-written", ...). A hook that
/// throws makes that step fail. Pass nullptr to remove it. Not thread-safe:
/// for unit tests only.
void set_fault_hook(std::function<void(std::string_view step)> hook);

/// Call the installed hook, if any, with `step`.
void fault_point(std::string_view step);

} // namespace certsmith::store::testing
