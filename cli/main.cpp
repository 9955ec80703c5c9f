// certsmith: flags -> Options -> one subcommand. The single place where an
// error becomes a message and an exit code.

#include "certbot_flags.hpp"
#include "certsmith_version.hpp"
#include "commands.hpp"
#include "config_files.hpp"
#include "input_checks.hpp"
#include "options.hpp"
#include "usage_hints.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/terminal.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <optional>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

void print_error_lines(std::string_view message) {
  while (true) {
    auto newline = message.find('\n');
    std::string_view line = message.substr(0, newline);
    certsmith::util::write_terminal_line(STDERR_FILENO, fmt::format("certsmith: error: {}", line),
                                         certsmith::util::Tone::error);
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
  cli::add_certbot_flags(app);
  struct Command {
    const char* name;
    const char* alias; // certbot spells some with '_', people type '-'
    const char* description;
    int (*run)(const cli::Options&);
    CLI::App* app = nullptr;
  };
  Command commands[] = {
      {"certonly", nullptr, "Obtain or renew a certificate, install nothing", cli::run_certonly},
      {"certificates", nullptr, "List the certificates in the config dir", cli::run_certificates},
      {"renew", nullptr, "Renew every certificate that is due", cli::run_renew},
      {"revoke", nullptr, "Revoke a certificate", cli::run_revoke},
      {"delete", nullptr,
       "Delete a certificate lineage, keeping its certificate in CONFIG_DIR/certsmith/kept for "
       "reuse (--purge: keep nothing)",
       cli::run_delete},
      {"register", nullptr, "Create an ACME account", cli::run_register},
      {"update_account", "update-account", "Change the account's contact email",
       cli::run_update_account},
      {"show_account", "show-account", "Show the account", cli::run_show_account},
      {"unregister", nullptr, "Deactivate the account", cli::run_unregister},
      {"rollover-account-key", "rollover_account_key",
       "Replace the account key (RFC 8555 key change)", cli::run_rollover_account_key},
      {"reconfigure", nullptr, "Change a lineage's renewal settings without issuing",
       cli::run_reconfigure},
      {"update_symlinks", "update-symlinks", "Repair the live/ links from archive/",
       cli::run_update_symlinks},
      {"serve", nullptr, "Answer http-01 challenges from the token directory until stopped",
       cli::run_serve},
      {"doctor", nullptr, "Check DNS, CAA, the account email and http-01 before issuing",
       cli::run_doctor},
      {"certbot-flags", nullptr, "List certbot's flags: supported, ignored, refused",
       cli::run_certbot_flags},
  };
  std::vector<std::string> command_names; // for "Did you mean ...?"
  for (auto& command : commands) {
    command.app = app.add_subcommand(command.name, command.description)->fallthrough();
    command.app->footer(cli::help_footer(command.name));
    command_names.emplace_back(command.name);
    if (command.alias)
      command.app->alias(command.alias);
  }
  app.require_subcommand(0, 1); // none: certbot's run, refused by apply_certbot_flags

  cli::MergedCommandLine command_line; // cli.ini settings, then the arguments given
  try {
    command_line = cli::merge_config_files(app, argc, argv);
  } catch (const Error& error) {
    print_error_lines(error.what());
    return static_cast<int>(error.exit_code());
  }
  std::vector<char*> merged_argv = command_line.argv();

  try {
    app.parse(command_line.argc(), merged_argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    auto hint = dynamic_cast<const CLI::ExtrasError*>(&e)
                    ? cli::unknown_argument_message(app, command_names)
                    : std::nullopt;
    if (hint) {
      print_error_lines(*hint);
      return static_cast<int>(ExitCode::usage);
    }
    print_error_lines(e.what());
    std::fprintf(stderr, "Run 'certsmith --help' for the list of flags.\n");
    return static_cast<int>(ExitCode::usage);
  }
  options.domain_and_webroot_order =
      cli::scan_domain_and_webroot_order(command_line.argc(), merged_argv.data());
  for (const CLI::Option* option : app.get_options())
    if (option->count() > 0)
      for (const auto& name : option->get_lnames())
        options.given.insert(name);

  try {
    // Warnings are said before anything can fail, and reach the log file once
    // it opens; the input is checked before a log file or anything else is written.
    cli::set_terminal_verbosity(options);
    util::keep_early_records();
    cli::report_config_warnings(command_line);
    cli::apply_certbot_flags(app, options, command_line.origins);
    cli::check_input(options);
    for (const auto& command : commands) {
      if (!*command.app)
        continue;
      if (command.run != cli::run_certificates &&
          command.run != cli::run_certbot_flags) { // a listing writes no log
        cli::start_logging(options);
        util::log_debug("certsmith {} started: {}", k_version, command.name);
      }
      return command.run(options);
    }
  } catch (const Error& error) {
    print_error_lines(error.what());
    return static_cast<int>(error.exit_code());
  } catch (const std::exception& error) {
    print_error_lines(fmt::format("internal error: {}", error.what()));
    return static_cast<int>(ExitCode::failure);
  }
  return static_cast<int>(ExitCode::failure);
}
