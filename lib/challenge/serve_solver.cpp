#include "challenge/serve_solver.hpp"

#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::challenge {

void Http01ServeSolver::perform(const std::vector<Task>& tasks) {
  // Everything is checked first: a refused task must leave no file behind.
  for (const Task& task : tasks) {
    if (task.type != "http-01")
      throw ChallengeError(fmt::format(
          "the serve authenticator cannot answer a {} challenge for {}",
          util::escape_untrusted(task.type, 40), util::escape_untrusted(task.identifier, 256)));
    if (!crypto::is_base64url(task.token))
      throw ChallengeError(fmt::format("refusing http-01 token \"{}\" for {}: not base64url",
                                       util::escape_untrusted(task.token, 80),
                                       util::escape_untrusted(task.identifier, 256)));
  }
  m_token_dir.ensure_exists();
  for (const Task& task : tasks) {
    m_token_dir.write(task.token, task.key_authorization);
    m_written.push_back(task.token);
  }
  // A warning, not an error: serve may run in a container with its own pids.
  if (!m_token_dir.served_by_live_process())
    util::log_warning("no running `certsmith serve` reads {} (no live .serve.pid there): http-01 "
                      "validation will fail unless one answers on port 80",
                      util::escape_untrusted(m_token_dir.path().string(), 512));
}

void Http01ServeSolver::cleanup(const std::vector<Task>& tasks) noexcept {
  for (const Task& task : tasks) {
    const auto written = std::find(m_written.begin(), m_written.end(), task.token);
    if (written == m_written.end())
      continue;
    m_token_dir.remove(task.token);
    m_written.erase(written);
  }
}

} // namespace certsmith::challenge
