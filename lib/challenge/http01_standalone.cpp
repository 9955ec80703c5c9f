#include "challenge/http01_standalone.hpp"

#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <utility>

namespace certsmith::challenge {

Http01StandaloneSolver::Http01StandaloneSolver(std::shared_ptr<Http01Responder> responder)
    : m_responder(std::move(responder)) {
  if (!m_responder) {
    throw ChallengeError("http-01 standalone solver needs a responder");
  }
}

void Http01StandaloneSolver::perform(const std::vector<Task>& tasks) {
  // All or nothing: a bad task is found before any token is published.
  for (const Task& task : tasks) {
    if (task.type != "http-01") {
      throw ChallengeError(fmt::format(
          "http-01 standalone solver cannot answer a {} challenge for {}",
          util::escape_untrusted(task.type, 40), util::escape_untrusted(task.identifier, 256)));
    }
    if (!crypto::is_base64url(task.token)) {
      throw ChallengeError(fmt::format("refusing http-01 token \"{}\" for {}: not base64url",
                                       util::escape_untrusted(task.token, 80),
                                       util::escape_untrusted(task.identifier, 256)));
    }
  }
  for (const Task& task : tasks) {
    m_responder->add(task.token, task.key_authorization);
  }
}

void Http01StandaloneSolver::cleanup(const std::vector<Task>& tasks) noexcept {
  for (const Task& task : tasks) {
    try {
      m_responder->remove(task.token);
    } catch (const std::exception& error) {
      try {
        util::log_warning("cannot withdraw http-01 token for {}: {}",
                          util::escape_untrusted(task.identifier, 256), error.what());
      } catch (...) {
      }
    }
  }
}

} // namespace certsmith::challenge
