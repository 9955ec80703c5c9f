#pragma once
// certbot's command line (certbot 2.x to 5.x: its flags, their short forms and
// its subcommands) and what certsmith does with each: the one table behind
// `certsmith certbot-flags`, the flags cli/ accepts only to ignore or refuse,
// and the check that turns a certbot command line into warnings or one error.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::compat {

enum class CertbotFlagStatus {
  supported, // certsmith does what certbot does
  ignored,   // accepted; no effect here (a warning says why, unless `silent`)
  refused,   // a usage error saying what to do instead
};

enum class CertbotFlagKind {
  flag,       // takes no value: --nginx
  option,     // takes one value: -i INSTALLER
  subcommand, // install
};

struct CertbotFlag {
  std::string_view names; // CLI11's spelling: "-i,--installer"; a subcommand's bare name
  CertbotFlagKind kind;
  CertbotFlagStatus status;
  /// supported: what it does; ignored: why it has no effect (the warning);
  /// refused: what to do instead (the error). One line.
  std::string_view note;
  bool silent = false; // ignored without a warning, as certbot itself ignores it
};

/// Every certbot flag and subcommand, in certbot's --help order within groups.
std::span<const CertbotFlag> certbot_flags();

/// The names of a row, split: {"-i", "--installer"}.
std::vector<std::string_view> names_of(const CertbotFlag& row);

/// The row naming `name` ("-i", "--installer", "install"), or nullptr.
const CertbotFlag* find_certbot_flag(std::string_view name);

/// What a command line asked for, in the table's terms.
struct CertbotUsage {
  std::string subcommand;         // "" when none was given: certbot's default, run
  std::vector<std::string> given; // ignored or refused flags given, by any of their names
  std::string authenticator;      // -a/--authenticator's value, "" when not given
  /// A name of given (or "--authenticator") -> "FILE:LINE: KEY" when a cli.ini
  /// set it rather than the command line.
  std::map<std::string, std::string> origins = {};
};

/// One warning line per ignored flag given (silent ones excepted), in table
/// order. Throws UsageError with one line for the first refused subcommand or
/// flag (the subcommand first) and for -a naming a plugin certsmith lacks.
/// A flag set in a cli.ini is named by its FILE:LINE: KEY; one that only an
/// installer uses is then a warning, not an error, so that a cli.ini written
/// for certbot's nginx or apache plugin (installer = nginx) does not stop
/// certonly or renew: certsmith has nothing to install either way.
std::vector<std::string> check_certbot_usage(const CertbotUsage& usage);

} // namespace certsmith::compat
