// certsmith serve: flags -> challenge::serve_until_signal. No tree lock: the
// renewal runs that feed the token directory hold theirs.

#include "challenge/serve.hpp"

#include "commands.hpp"
#include "util/log.hpp"

#include <filesystem>

namespace certsmith::cli {

int run_serve(const Options& options) {
  challenge::ServeConfig config;
  config.address = options.http01_address;
  config.port = static_cast<std::uint16_t>(options.http01_port);
  config.token_dir = options.serve_token_dir.empty()
                         ? challenge::default_token_dir(options.work_dir)
                         : std::filesystem::path(options.serve_token_dir);
  config.redirect_https = options.redirect_https;
  const int signal_number = challenge::serve_until_signal(config, [&config](std::uint16_t port) {
    util::log_info("Serving http-01 tokens from {} on port {}", config.token_dir.string(), port);
  });
  util::log_info("Stopped by signal {}", signal_number);
  return 0;
}

} // namespace certsmith::cli
