#include "compat/config_args.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace certsmith::compat;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using certsmith::UsageError;
using Args = std::vector<std::string>;

namespace {

// A few of certsmith's flags, as the CLI11 app describes them.
FlagLookup test_flags() {
  static const std::map<std::string, FlagInfo, std::less<>> flags = [] {
    std::map<std::string, FlagInfo, std::less<>> table;
    auto add = [&table](std::vector<std::string> names, bool value, bool many) {
      FlagInfo info{names.front().starts_with("--") ? names.front() : names.back(), value, many};
      for (const auto& name : names)
        table.emplace(name, info);
    };
    add({"--domains", "-d", "--domain"}, true, true);
    add({"--webroot-path", "-w"}, true, true);
    add({"--email", "-m"}, true, false);
    add({"--rsa-key-size"}, true, false);
    add({"--agree-tos"}, false, false);
    add({"--non-interactive", "-n"}, false, false);
    add({"--quiet", "-q"}, false, false);
    add({"--config", "-c"}, true, false);
    add({"--help", "-h"}, false, false);
    add({"--max-log-backups"}, true, false);
    add({"--preconfigured-renewal"}, false, false);
    add({"--installer", "-i"}, true, false);
    FlagInfo verbose{"--verbose", false, false, true};
    table.emplace("--verbose", verbose);
    table.emplace("-v", verbose);
    return table;
  }();
  return [](std::string_view name) -> std::optional<FlagInfo> {
    auto found = flags.find(name);
    return found == flags.end() ? std::nullopt : std::optional(found->second);
  };
}

std::vector<CliIniSetting> file(std::string_view text, const char* name = "cli.ini") {
  return parse_cli_ini(text, name);
}

ConfigArgs merge(const std::vector<std::vector<CliIniSetting>>& files,
                 const std::set<std::string>& given = {}, const ConfigArgsRules& rules = {}) {
  return config_file_args(files, test_flags(), given, rules);
}

std::string error_of(std::string_view text) {
  try {
    merge({file(text, "/etc/letsencrypt/cli.ini")});
  } catch (const UsageError& error) {
    return error.what();
  }
  FAIL("no error for: " << text);
  return {};
}

} // namespace

TEST_CASE("config args: values become --key=value before the command line", "[config_args]") {
  auto out = merge({file("email = a@example.com\nrsa-key-size: 3072\n--domains a.example\n"
                         "webroot-path /srv/www\n")});
  CHECK(out.args == Args{"--email=a@example.com", "--rsa-key-size=3072", "--domains=a.example",
                         "--webroot-path=/srv/www"});
  CHECK(out.warnings.empty());
}

TEST_CASE("config args: a value that starts with a dash stays one token", "[config_args]") {
  CHECK(merge({file("email = --help")}).args == Args{"--email=--help"});
  CHECK(merge({file("email =")}).args == Args{"--email="});
}

TEST_CASE("config args: flags take true/yes/on/1 and false/no/off/0 in any case", "[config_args]") {
  for (const char* on : {"True", "true", "YES", "on", "1"}) {
    INFO(on);
    CHECK(merge({file(std::string("agree-tos = ") + on)}).args == Args{"--agree-tos"});
  }
  for (const char* off : {"False", "no", "OFF", "0"}) {
    INFO(off);
    CHECK(merge({file(std::string("agree-tos = ") + off)}).args.empty());
  }
  CHECK(merge({file("agree-tos")}).args == Args{"--agree-tos"});
  CHECK(merge({file("--agree-tos")}).args == Args{"--agree-tos"});
}

TEST_CASE("config args: a wrong value for a flag fails naming FILE:LINE and key", "[config_args]") {
  CHECK_THAT(error_of("\nagree-tos = maybe"),
             Equals("/etc/letsencrypt/cli.ini:2: agree-tos: a flag: expected true, false, yes, "
                    "no, on, off, 1 or 0"));
  CHECK_THAT(error_of("agree-tos = [true]"), Contains("agree-tos: a flag"));
  CHECK_THAT(error_of("rsa-key-size"),
             Equals("/etc/letsencrypt/cli.ini:1: rsa-key-size: needs a value (KEY = VALUE)"));
  CHECK_THAT(error_of("email = [a@example.com, b@example.com]"),
             Equals("/etc/letsencrypt/cli.ini:1: email: takes one value, not a list"));
}

TEST_CASE("config args: lists repeat a repeatable flag; comma lists pass whole", "[config_args]") {
  CHECK(merge({file("domains = [a.example, b.example]")}).args ==
        Args{"--domains=a.example", "--domains=b.example"});
  CHECK(merge({file("domains = a.example, b.example")}).args ==
        Args{"--domains=a.example, b.example"});
  CHECK(merge({file("email = [a@example.com]")}).args == Args{"--email=a@example.com"});
  CHECK(merge({file("domains = []")}).args.empty());
}

TEST_CASE("config args: a flag on the command line, under any name, beats every file",
          "[config_args]") {
  std::vector<std::vector<CliIniSetting>> files{
      file("domains = a.example\nemail = a@example.com\nagree-tos")};
  auto out = merge(files, {"--domains", "--agree-tos"});
  CHECK(out.args == Args{"--email=a@example.com"});
  // The names come from scan_command_line, which maps -d and --domain to --domains.
  auto scan = scan_command_line({"-d", "b.example", "certonly"}, test_flags(), "--config");
  CHECK(merge(files, scan.given).args == Args{"--email=a@example.com", "--agree-tos"});
}

TEST_CASE("config args: -c beats the XDG file, which beats /etc", "[config_args]") {
  auto etc = file("email = etc@example.com\nrsa-key-size = 2048\nmax-log-backups = 0\n",
                  "/etc/letsencrypt/cli.ini");
  auto xdg = file("email = xdg@example.com\nrsa-key-size = 3072\n", "xdg.ini");
  auto user = file("email = c@example.com\n", "c.ini");
  auto out = merge({etc, xdg, user});
  CHECK(out.args == Args{"--max-log-backups=0", "--rsa-key-size=3072", "--email=c@example.com"});
  CHECK(merge({etc, xdg, user}, {"--email", "--rsa-key-size"}).args == Args{"--max-log-backups=0"});
}

TEST_CASE("config args: within a file the last setting of a flag wins", "[config_args]") {
  CHECK(merge({file("email = a@example.com\n--email = b@example.com\n")}).args ==
        Args{"--email=b@example.com"});
  // Two spellings of one flag: the later one, as it is spelled.
  CHECK(merge({file("domain = a.example\ndomains = b.example\n")}).args ==
        Args{"--domains=b.example"});
}

TEST_CASE("config args: flag = false in a higher file does not unset a lower true",
          "[config_args]") {
  // ConfigArgParse looks for the flag among the arguments so far; "false" adds none.
  auto out = merge({file("agree-tos = true", "etc"), file("agree-tos = false", "c")});
  CHECK(out.args == Args{"--agree-tos"});
}

TEST_CASE("config args: unknown keys warn with FILE:LINE and the rest applies", "[config_args]") {
  auto out = merge({file("# comment\nno-such-flag = 1\nemail = a@example.com\n-d = x\n"
                         "\x1b[2Jevil = 1\n",
                         "/root/c.ini")});
  CHECK(out.args == Args{"--email=a@example.com"});
  REQUIRE(out.warnings.size() == 3);
  CHECK(out.warnings[0] ==
        "/root/c.ini:2: ignoring unknown setting 'no-such-flag' (not a certsmith flag)");
  CHECK(out.warnings[1] == "/root/c.ini:4: ignoring unknown setting '-d' (not a certsmith flag)");
  CHECK(out.warnings[2].find('\x1b') == std::string::npos);
  CHECK_THAT(out.warnings[2], Contains("\\x1b[2Jevil"));
}

TEST_CASE("config args: Debian's cli.ini gives no warning", "[config_args]") {
  auto debian = file("# Because we are using logrotate for greater flexibility, disable the\n"
                     "# internal certbot logrotation.\n"
                     "max-log-backups = 0\n"
                     "# Adjust interactive output regarding automated renewal\n"
                     "preconfigured-renewal = True\n");
  auto out = merge({debian});
  CHECK(out.warnings.empty());
  CHECK(out.args == Args{"--max-log-backups=0", "--preconfigured-renewal"});
}

TEST_CASE("config args: refused keys warn, dropped keys vanish", "[config_args]") {
  ConfigArgsRules rules;
  rules.refused = {"--config", "--help"};
  rules.dropped = {"--domains"};
  auto out = merge({file("config = other.ini\nhelp\ndomains = a.example\nemail = a@example.com")},
                   {}, rules);
  CHECK(out.args == Args{"--email=a@example.com"});
  REQUIRE(out.warnings.size() == 2);
  CHECK(out.warnings[0] == "cli.ini:1: 'config' cannot be set in a cli.ini; ignored");
}

TEST_CASE("scan_command_line: flags, values, clusters, the verb and -c", "[config_args]") {
  auto scan =
      scan_command_line({"-nq", "--email=a@example.com", "-dexample.com", "-c", "~/my.ini",
                         "certonly", "-w", "/srv", "--agree-tos", "--unknown", "--", "--quiet-not"},
                        test_flags(), "--config");
  CHECK(scan.verb == "certonly");
  REQUIRE(scan.config_file);
  CHECK(*scan.config_file == "~/my.ini");
  CHECK(scan.given == std::set<std::string>{"--non-interactive", "--quiet", "--email", "--domains",
                                            "--config", "--webroot-path", "--agree-tos",
                                            "--unknown"});
  // A flag's value is not the verb, and the last -c wins.
  auto second = scan_command_line({"--email", "renew", "--config=a.ini", "-cb.ini", "certonly"},
                                  test_flags(), "--config");
  CHECK(second.verb == "certonly");
  CHECK(*second.config_file == "b.ini");
  CHECK_FALSE(scan_command_line({"renew"}, test_flags(), "--config").config_file);
}

TEST_CASE("default_cli_ini_files: /etc first, then XDG_CONFIG_HOME or ~/.config", "[config_args]") {
  using Paths = std::vector<std::filesystem::path>;
  CHECK(default_cli_ini_files(nullptr, "/x", "/home/u") ==
        Paths{"/etc/letsencrypt/cli.ini", "/x/letsencrypt/cli.ini"});
  CHECK(default_cli_ini_files(nullptr, nullptr, "/home/u") ==
        Paths{"/etc/letsencrypt/cli.ini", "/home/u/.config/letsencrypt/cli.ini"});
  CHECK(default_cli_ini_files(nullptr, "", "/home/u/") ==
        Paths{"/etc/letsencrypt/cli.ini", "/home/u/.config/letsencrypt/cli.ini"});
}

TEST_CASE("default_cli_ini_files: CERTSMITH_SYSTEM_CLI_INI replaces /etc's, empty drops it",
          "[config_args]") {
  using Paths = std::vector<std::filesystem::path>;
  CHECK(default_cli_ini_files("/sandbox/etc/cli.ini", "/x", "/home/u") ==
        Paths{"/sandbox/etc/cli.ini", "/x/letsencrypt/cli.ini"});
  CHECK(default_cli_ini_files("", "/x", "/home/u") == Paths{"/x/letsencrypt/cli.ini"});
}

TEST_CASE("expand_user: only a leading ~ or ~/ is the home directory", "[config_args]") {
  CHECK(expand_user("~/c.ini", "/home/u") == "/home/u/c.ini");
  CHECK(expand_user("~", "/home/u") == "/home/u");
  CHECK(expand_user("~/c.ini", "/") == "/c.ini");
  CHECK(expand_user("~other/c.ini", "/home/u") == "~other/c.ini");
  CHECK(expand_user("a/~/c.ini", "/home/u") == "a/~/c.ini");
  CHECK(expand_user("~/c.ini", nullptr) == "~/c.ini");
}

TEST_CASE("config args: a count flag takes a number, repeated as ConfigArgParse repeats it",
          "[config_args]") {
  CHECK(merge({file("verbose = 2")}).args == Args{"--verbose", "--verbose"});
  CHECK(merge({file("verbose = 3")}).args == Args{"--verbose", "--verbose", "--verbose"});
  CHECK(merge({file("verbose = 1")}).args == Args{"--verbose"});
  CHECK(merge({file("verbose = 0")}).args.empty());
  CHECK(merge({file("verbose = true")}).args == Args{"--verbose"});
  CHECK(merge({file("verbose")}).args == Args{"--verbose"});
  CHECK(merge({file("verbose = 10")}).args.size() == 10);
  for (const char* bad : {"verbose = 11", "verbose = 99999999999999999999", "verbose = -1",
                          "verbose = 2x", "verbose = [2]", "verbose = +2"}) {
    INFO(bad);
    CHECK_THAT(error_of(bad), Equals("/etc/letsencrypt/cli.ini:1: verbose: a count: expected 0 "
                                     "to 10, true or false"));
  }
  // Not a count flag: a number other than 0 or 1 is still an error.
  CHECK_THAT(error_of("agree-tos = 2"), Contains("agree-tos: a flag"));
}

TEST_CASE("config args: each flag a file set names its FILE:LINE and key", "[config_args]") {
  auto etc = file("installer = nginx\nemail = etc@example.com\n", "/etc/letsencrypt/cli.ini");
  auto user = file("\nemail = c@example.com\nagree-tos = false\n", "c.ini");
  auto out = merge({etc, user}, {"--domains"});
  CHECK(out.origins ==
        std::map<std::string, std::string>{{"--installer", "/etc/letsencrypt/cli.ini:1: installer"},
                                           {"--email", "c.ini:2: email"}});
  // Set on the command line: no origin; a false flag sets nothing.
  CHECK(merge({etc}, {"--installer"}).origins.count("--installer") == 0);
  CHECK(merge({user}).origins.count("--agree-tos") == 0);
}

TEST_CASE("certbot_config_rules: -c/--help/--version refused; renew drops domains",
          "[config_args]") {
  auto certonly = certbot_config_rules("certonly");
  CHECK(certonly.refused == std::set<std::string>{"--config", "--help", "--version"});
  CHECK(certonly.dropped.empty());
  CHECK(certbot_config_rules("renew").dropped == std::set<std::string>{"--domains"});
  auto out = merge({file("domains = a.example\nemail = a@example.com")}, {},
                   certbot_config_rules("renew"));
  CHECK(out.args == Args{"--email=a@example.com"});
  CHECK(out.warnings.empty());
}
