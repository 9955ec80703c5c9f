#include "challenge/manual.hpp"

#include "util/error.hpp"

namespace certsmith::challenge {

std::unique_ptr<Solver> make_manual_solver(const std::string&, ManualHooks, util::ProcessRunner&) {
  throw UsageError("the manual authenticator is not implemented yet");
}

} // namespace certsmith::challenge
