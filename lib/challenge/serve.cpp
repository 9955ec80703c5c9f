#include "challenge/serve.hpp"

#include "challenge/http01_responder.hpp"
#include "util/error.hpp"

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
  fallback.lookup = [tokens](std::string_view token) { return tokens.read(token); };
  fallback.redirect_https = config.redirect_https;
  Http01Responder responder(config.address, config.port, std::move(fallback));
  on_ready(responder.port());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  return signal_number;
}

} // namespace certsmith::challenge
