#include "compat/cli_ini.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith::compat;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using certsmith::UsageError;
namespace fs = std::filesystem;

namespace {

// The one setting of a one-line file.
CliIniSetting only(std::string_view text) {
  auto settings = parse_cli_ini(text, "cli.ini");
  REQUIRE(settings.size() == 1);
  return settings[0];
}

std::string value_of(std::string_view text) {
  auto setting = only(text);
  REQUIRE_FALSE(setting.bare);
  REQUIRE(setting.values.size() == 1);
  return setting.values[0];
}

std::string error_of(std::string_view text) {
  try {
    parse_cli_ini(text, "/etc/letsencrypt/cli.ini");
  } catch (const UsageError& error) {
    return error.what();
  }
  FAIL("no error for: " << text);
  return {};
}

struct TempDir {
  fs::path root;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cli-ini-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root = pattern;
  }
  ~TempDir() { fs::remove_all(root); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(root / name, std::ios::binary) << text;
    return root / name;
  }
};

} // namespace

TEST_CASE("an empty cli.ini has no settings", "[cli_ini]") {
  CHECK(parse_cli_ini("", "cli.ini").empty());
}

TEST_CASE("cli.ini: every separator ConfigArgParse accepts gives the same setting", "[cli_ini]") {
  for (const char* line : {"email = a@example.com", "email=a@example.com", "email: a@example.com",
                           "email:a@example.com", "email a@example.com", "email\ta@example.com",
                           "--email a@example.com", "--email=a@example.com",
                           "  email   =   a@example.com  ", "email = a@example.com\r"}) {
    INFO(line);
    auto setting = only(line);
    CHECK(setting.key == "email");
    CHECK_FALSE(setting.bare);
    CHECK(setting.values == std::vector<std::string>{"a@example.com"});
    CHECK(setting.line == 1);
    CHECK(setting.file == "cli.ini");
  }
}

TEST_CASE("cli.ini: a bare key or --key sets a flag", "[cli_ini]") {
  for (const char* line : {"agree-tos", "--agree-tos", "  agree-tos  "}) {
    INFO(line);
    auto setting = only(line);
    CHECK(setting.key == "agree-tos");
    CHECK(setting.bare);
    CHECK(setting.values.empty());
  }
  // "key ''" is a bare key to ConfigArgParse too; "key =" is an empty value.
  CHECK(only("agree-tos ''").bare);
  CHECK(value_of("email =").empty());
  CHECK(value_of("email:").empty());
  CHECK(value_of("email = \"\"").empty());
}

TEST_CASE("cli.ini: comments, sections, --- lines and blank lines are skipped", "[cli_ini]") {
  auto settings = parse_cli_ini("# a comment\n"
                                "; another\n"
                                "[section]\n"
                                "---\n"
                                "-------------\n"
                                "\n"
                                "   \t \n"
                                "  # indented comment\n"
                                "rsa-key-size = 4096\n",
                                "cli.ini");
  REQUIRE(settings.size() == 1);
  CHECK(settings[0].key == "rsa-key-size");
  CHECK(settings[0].line == 9);
}

TEST_CASE("cli.ini: an inline comment needs whitespace before # or ;", "[cli_ini]") {
  CHECK(value_of("server = https://ca.example/dir # staging") == "https://ca.example/dir");
  CHECK(value_of("server = https://ca.example/dir\t; note") == "https://ca.example/dir");
  CHECK(value_of("webroot-path = /var/www/a#b") == "/var/www/a#b");
  CHECK(value_of("deploy-hook = echo a;b") == "echo a;b");
  CHECK(value_of("email = #first") == "#first");
}

TEST_CASE("cli.ini: values keep inner spaces and lose one pair of matching quotes", "[cli_ini]") {
  CHECK(value_of("deploy-hook = systemctl reload nginx") == "systemctl reload nginx");
  CHECK(value_of("deploy-hook = \"systemctl reload nginx\"") == "systemctl reload nginx");
  CHECK(value_of("deploy-hook = 'a \"b\" c'") == "a \"b\" c");
  CHECK(value_of("email = \"a@example.com\" # quoted") == "a@example.com");
  CHECK(value_of("email = \"a@example.com") == "\"a@example.com");
  CHECK(value_of("email = 'mixed\"") == "'mixed\"");
}

TEST_CASE("cli.ini: a key with another value after whitespace keeps it all", "[cli_ini]") {
  // "key value = x": the value is everything after the key's whitespace.
  CHECK(value_of("deploy-hook touch a = b") == "touch a = b");
  // A bare key followed by " # x" is a value to ConfigArgParse, not a comment.
  CHECK(value_of("agree-tos # why") == "# why");
}

TEST_CASE("cli.ini: [a, b] is a list, JSON or the legacy comma form", "[cli_ini]") {
  auto legacy = only("domains = [a.example, b.example ,c.example]");
  CHECK(legacy.list);
  CHECK(legacy.values == std::vector<std::string>{"a.example", "b.example", "c.example"});
  auto json = only(R"(domains = ["a.example", "b,example", "c\"d"])");
  CHECK(json.values == std::vector<std::string>{"a.example", "b,example", "c\"d"});
  CHECK(only("preferred-challenges = [1, true, null]").values ==
        std::vector<std::string>{"1", "True", "None"});
  CHECK(only("domains = []").values.empty());
  CHECK(only("domains = [ ]").values.empty());
  CHECK(only("domains = [a]").values == std::vector<std::string>{"a"});
  // A comma list without brackets is one value (certsmith's -d splits it later).
  CHECK(value_of("domains = a.example, b.example") == "a.example, b.example");
}

TEST_CASE("cli.ini: hostile values are plain text", "[cli_ini]") {
  CHECK(value_of("email = $(rm -rf /)") == "$(rm -rf /)");
  CHECK(value_of("email = `id` ~root %(x)s ${HOME}") == "`id` ~root %(x)s ${HOME}");
  CHECK(value_of("webroot-path = ../../etc") == "../../etc");
  CHECK(value_of("email = \x1b[31mred") == "\x1b[31mred");
}

TEST_CASE("cli.ini: a line that is not a setting fails naming FILE:LINE", "[cli_ini]") {
  CHECK_THAT(error_of("email = a\n= value\n"),
             StartsWith("/etc/letsencrypt/cli.ini:2: not a setting"));
  CHECK_THAT(error_of(": value"), StartsWith("/etc/letsencrypt/cli.ini:1: not a setting"));
  CHECK_THAT(error_of("key#x"), StartsWith("/etc/letsencrypt/cli.ini:1: not a setting"));
  CHECK_THAT(error_of("key;x"), StartsWith("/etc/letsencrypt/cli.ini:1: not a setting"));
  // The offending text is escaped in the message.
  CHECK_THAT(error_of("=\x1b[2J"), Contains("\\x1b[2J"));
  CHECK(error_of("=\x1b[2J").find('\x1b') == std::string::npos);
}

TEST_CASE("cli.ini: NUL bytes and over-long lines are refused", "[cli_ini]") {
  using namespace std::string_literals;
  CHECK_THAT(error_of("email = a\nemail = b\0c\n"s),
             Equals("/etc/letsencrypt/cli.ini:2: a NUL byte: not a text file"));
  std::string long_line = "deploy-hook = " + std::string(k_cli_ini_max_line, 'x');
  CHECK_THAT(error_of(long_line), Contains(":1: line longer than"));
  // Just under the limit is fine, and parsing it is linear.
  std::string near_limit = "deploy-hook = " + std::string(k_cli_ini_max_line - 20, 'x') + " #";
  CHECK(value_of(near_limit).size() == k_cli_ini_max_line - 20);
}

TEST_CASE("cli.ini: every line is numbered for messages", "[cli_ini]") {
  auto settings = parse_cli_ini("a = 1\r\n\r\n# c\nb = 2\nc", "f.ini");
  REQUIRE(settings.size() == 3);
  CHECK(settings[0].line == 1);
  CHECK(settings[1].line == 4);
  CHECK(settings[2].line == 5);
  CHECK(settings[2].bare);
}

TEST_CASE("read_cli_ini reads a file and refuses a missing, huge or non-regular one", "[cli_ini]") {
  TempDir dir;
  auto path = dir.write("cli.ini", "max-log-backups = 0\npreconfigured-renewal = True\n");
  auto settings = read_cli_ini(path);
  REQUIRE(settings.size() == 2);
  CHECK(settings[1].file == path);
  CHECK(settings[1].values == std::vector<std::string>{"True"});

  CHECK_THROWS_WITH(read_cli_ini(dir.root / "missing.ini"),
                    "cannot read cli.ini " + (dir.root / "missing.ini").string() +
                        ": No such file or directory");
  CHECK_THROWS_WITH(read_cli_ini(dir.root),
                    "cannot read cli.ini " + dir.root.string() + ": not a regular file");
  REQUIRE(::mkfifo((dir.root / "fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_cli_ini(dir.root / "fifo"), Contains("not a regular file"));

  // Over 1 MiB of harmless comments is still refused, before any parsing.
  std::string huge(k_cli_ini_max_bytes + 1, '#');
  auto big = dir.write("big.ini", huge);
  CHECK_THROWS_WITH(read_cli_ini(big), Contains("larger than 1048576 bytes"));
  std::string fits(k_cli_ini_max_bytes - 1, '\n');
  CHECK(read_cli_ini(dir.write("fits.ini", fits)).empty());
}

TEST_CASE("cli.ini: Unicode whitespace around keys and values is whitespace, as Python's",
          "[cli_ini]") {
  // Each as ConfigArgParse 1.5 reads it (checked with python3-configargparse).
  auto nbsp = only("\u00a0email\u00a0=\u00a0a@example.com\u3000");
  CHECK(nbsp.key == "email");
  CHECK(nbsp.values == std::vector<std::string>{"a@example.com"});
  CHECK(value_of("email\u00a0a@example.com") == "a@example.com");
  CHECK(value_of("email =\u2003a@example.com\u2003# note") == "a@example.com");
  CHECK(value_of("\x1c"
                 "email = x\x1f") == "x");
  CHECK(only("domains = [a.example,\u00a0b.example\u202f]").values ==
        std::vector<std::string>{"a.example", "b.example"});
  // Inside a value it stays; an empty value after a non-ASCII separator is "".
  CHECK(value_of("deploy-hook = a\u00a0b") == "a\u00a0b");
  CHECK(value_of("email = caf\u00e9") == "caf\u00e9");
  CHECK(value_of("email =\u00a0") == "");
  CHECK(value_of("agree-tos\u00a0''") == "");
  CHECK(only("agree-tos ''").bare);
}
