#pragma once
// certbot's manual authenticator, driven by hooks: --manual-auth-hook makes a
// challenge answerable (writes a file, adds a TXT record) and
// --manual-cleanup-hook undoes it, each run once per challenge with certbot's
// environment (CERTBOT_DOMAIN, CERTBOT_VALIDATION, CERTBOT_TOKEN,
// CERTBOT_REMAINING_CHALLENGES, CERTBOT_ALL_DOMAINS, CERTBOT_AUTH_OUTPUT).

#include "challenge/solver.hpp"
#include "util/process_runner.hpp"

#include <memory>
#include <string>

namespace certsmith::challenge {

struct ManualHooks {
  std::string auth_hook;    // shell command; required
  std::string cleanup_hook; // shell command; optional
};

/// A solver for `type` ("http-01" or "dns-01"). Throws UsageError for another
/// type or an empty auth hook.
std::unique_ptr<Solver> make_manual_solver(const std::string& type, ManualHooks hooks,
                                           util::ProcessRunner& runner);

} // namespace certsmith::challenge
