#include "challenge/serve.hpp"

#include "challenge/http01_responder.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <cerrno>
#include <csignal>
#include <fmt/format.h>
#include <pthread.h>
#include <system_error>

namespace certsmith::challenge {

int serve_until_signal(const ServeConfig& config,
                       const std::function<void(std::uint16_t port)>& on_ready) {
  const TokenDir tokens(config.token_dir);
  tokens.ensure_exists();

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (const int error = pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); error != 0)
    throw ChallengeError(
        fmt::format("cannot block SIGTERM: {}", std::generic_category().message(error)));

  Http01Responder::Fallback fallback;
  // Read afresh per request: renewal runs add and remove tokens at any time.
  // One line per answer, an access log: which tokens went through this responder.
  fallback.lookup = [tokens](std::string_view token) {
    std::optional<std::string> key_authorization = tokens.read(token);
    if (key_authorization) // read accepts base64url names only: safe to print
      util::log_info("Answered http-01 token {}", token);
    else
      util::log_debug("No http-01 token {}", util::escape_untrusted(token, 80));
    return key_authorization;
  };
  fallback.redirect_https = config.redirect_https;
  Http01Responder responder(config.address, config.port, std::move(fallback));
  // After the bind: a heartbeat says someone answers, which is true only now.
  const ServeHeartbeat heartbeat(tokens);
  on_ready(responder.port());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  return signal_number;
}

} // namespace certsmith::challenge
