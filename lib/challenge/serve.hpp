#pragma once
// `certsmith serve`: one long-running http-01 responder answering every token
// found in a token directory, until SIGTERM or SIGINT.

#include "challenge/token_dir.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace certsmith::challenge {

struct ServeConfig {
  std::string address; // "" = every address, IPv6 and IPv4
  std::uint16_t port = 80;
  std::filesystem::path token_dir;
  bool redirect_https = false; // other paths: 301 to https://HOST/PATH instead of 404
};

/// Create the token directory when missing, listen, call on_ready(bound port),
/// then answer until SIGTERM or SIGINT arrives; returns the signal number.
/// SIGTERM and SIGINT are blocked in the calling thread before the server's
/// thread starts (which inherits the mask), so the signal is taken only by the
/// sigwait here and the server stops cleanly. Throws ChallengeError when the
/// directory cannot be made or the port not bound.
int serve_until_signal(const ServeConfig& config,
                       const std::function<void(std::uint16_t port)>& on_ready);

} // namespace certsmith::challenge
