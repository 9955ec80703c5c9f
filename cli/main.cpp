// certsmith: flags -> Options -> one subcommand. The single place where an
// error becomes a message and an exit code.

#include "certsmith_version.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <string_view>

namespace {

void print_error_lines(std::string_view message) {
  while (true) {
    auto newline = message.find('\n');
    std::string_view line = message.substr(0, newline);
    std::fprintf(stderr, "certsmith: error: %.*s\n", static_cast<int>(line.size()), line.data());
    certsmith::util::log_message(certsmith::util::LogLevel::debug, "error: " + std::string(line));
    if (newline == std::string_view::npos)
      break;
    message.remove_prefix(newline + 1);
  }
}

} // namespace

int main(int argc, char** argv) {
  using namespace certsmith;
  CLI::App app{"certsmith: obtain and renew TLS certificates from any ACME CA", "certsmith"};
  app.set_version_flag("--version", fmt::format("certsmith {}", k_version));
  cli::Options options;
  cli::add_options(app, options);
  auto* certonly = app.add_subcommand("certonly", "Obtain or renew a certificate, install nothing")
                       ->fallthrough();
  auto* certificates =
      app.add_subcommand("certificates", "List the certificates in the config dir")->fallthrough();
  auto* renew = app.add_subcommand("renew", "Renew every certificate that is due")->fallthrough();
  app.require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error_lines(e.what());
    std::fprintf(stderr, "Run 'certsmith --help' for the list of flags.\n");
    return static_cast<int>(ExitCode::usage);
  }
  options.domain_and_webroot_order = cli::scan_domain_and_webroot_order(argc, argv);

  try {
    if (*certificates)
      return cli::run_certificates(options);
    cli::start_logging(options);
    util::log_debug("certsmith {} started", k_version);
    if (*certonly)
      return cli::run_certonly(options);
    if (*renew)
      return cli::run_renew(options);
  } catch (const Error& error) {
    print_error_lines(error.what());
    return static_cast<int>(error.exit_code());
  } catch (const std::exception& error) {
    print_error_lines(fmt::format("internal error: {}", error.what()));
    return static_cast<int>(ExitCode::failure);
  }
  return static_cast<int>(ExitCode::failure);
}
