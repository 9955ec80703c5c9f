#include "compat/certbot_flags.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace certsmith;
using compat::CertbotFlagKind;
using compat::CertbotFlagStatus;

TEST_CASE("certbot flag table: no name twice, every name spelled as certbot's", "[compat]") {
  std::set<std::string_view> seen;
  for (const auto& row : compat::certbot_flags()) {
    for (auto name : compat::names_of(row)) {
      INFO(name);
      CHECK(seen.insert(name).second);
      if (row.kind == CertbotFlagKind::subcommand)
        CHECK_FALSE(name.starts_with("-"));
      else
        CHECK((name.starts_with("--") || (name.size() == 2 && name[0] == '-')));
    }
  }
}

TEST_CASE("certbot flag table: every row has a note, refused ones say what to do", "[compat]") {
  for (const auto& row : compat::certbot_flags()) {
    INFO(row.names);
    CHECK_FALSE(row.note.empty());
    CHECK(row.note.find('\n') == std::string_view::npos);
    if (row.silent)
      CHECK(row.status == CertbotFlagStatus::ignored);
  }
  CHECK(compat::find_certbot_flag("--nginx")->note.find("--deploy-hook") != std::string_view::npos);
  CHECK(compat::find_certbot_flag("install")->note.find("certonly") != std::string_view::npos);
}

TEST_CASE("certbot flag table: lookup by short and long name", "[compat]") {
  REQUIRE(compat::find_certbot_flag("-i") != nullptr);
  CHECK(compat::find_certbot_flag("-i") == compat::find_certbot_flag("--installer"));
  CHECK(compat::find_certbot_flag("-i")->status == CertbotFlagStatus::refused);
  CHECK(compat::find_certbot_flag("-d") == compat::find_certbot_flag("--domain"));
  CHECK(compat::find_certbot_flag("-t")->status == CertbotFlagStatus::ignored);
  for (const char* short_form : {"-d", "-m", "-w", "-n", "-q", "-v", "-c", "-a"})
    CHECK(compat::find_certbot_flag(short_form)->status == CertbotFlagStatus::supported);
  CHECK(compat::find_certbot_flag("--no-such-flag") == nullptr);
  CHECK(compat::find_certbot_flag("run")->kind == CertbotFlagKind::subcommand);
}

TEST_CASE("certbot usage: ignored flags warn once each, silent ones not at all", "[compat]") {
  compat::CertbotUsage usage{"certonly", {"--debug", "-t", "--no-self-upgrade"}, ""};
  auto warnings = compat::check_certbot_usage(usage);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].starts_with("--debug is ignored: "));
  CHECK(compat::check_certbot_usage({"renew", {"--preconfigured-renewal"}, ""}).empty());
}

TEST_CASE("certbot usage: installer flags and subcommands are refused with the pointer",
          "[compat]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(compat::check_certbot_usage({"renew", {"--nginx"}, ""}),
                    Contains("--deploy-hook"));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {"--nginx"}, ""}),
                    Contains("--webroot -w"));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {"-i"}, ""}),
                    Contains("--installer: certsmith installs nothing"));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"install", {}, ""}), Contains("install: "));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"", {}, ""}), Contains("certbot's default, run"));
  CHECK_THROWS_AS(compat::check_certbot_usage({"certonly", {"--dns-cloudflare"}, ""}), UsageError);
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {}, "nginx"}), Contains("-a nginx"));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {}, "dns-route53"}),
                    Contains("--dns-rfc2136"));
  CHECK(compat::check_certbot_usage({"certonly", {}, "dns-rfc2136"}).empty());
  CHECK(compat::check_certbot_usage({"certbot-flags", {}, ""}).empty());
}

TEST_CASE("certbot usage: a flag set in a cli.ini is named by FILE:LINE: KEY", "[compat]") {
  using Catch::Matchers::StartsWith;
  std::map<std::string, std::string> installer_from_file{
      {"-i", "/etc/letsencrypt/cli.ini:3: installer"},
      {"--installer", "/etc/letsencrypt/cli.ini:3: installer"}};
  // Only an installer uses it: certonly and renew go on with a warning naming the line.
  for (const char* verb : {"renew", "certonly"}) {
    INFO(verb);
    auto warnings =
        compat::check_certbot_usage({verb, {"-i", "--installer"}, "", installer_from_file});
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0],
               StartsWith("/etc/letsencrypt/cli.ini:3: installer is ignored: certsmith "
                          "installs nothing"));
  }
  // The same flag typed on the command line is still refused.
  CHECK_THROWS_WITH(compat::check_certbot_usage({"renew", {"-i", "--installer"}, ""}),
                    StartsWith("--installer: certsmith installs nothing"));
  // nginx = true authenticates under certonly: refused, naming the line.
  std::map<std::string, std::string> nginx{{"--nginx", "c.ini:1: nginx"}};
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {"--nginx"}, "", nginx}),
                    StartsWith("c.ini:1: nginx: certsmith does not edit"));
  CHECK(compat::check_certbot_usage({"renew", {"--nginx"}, "", nginx}).size() == 1);
  // Refused for another reason than installing: still an error, naming the line.
  CHECK_THROWS_WITH(
      compat::check_certbot_usage(
          {"renew", {"--no-verify-ssl"}, "", {{"--no-verify-ssl", "c.ini:2: no-verify-ssl"}}}),
      StartsWith("c.ini:2: no-verify-ssl: certsmith always verifies"));
  // Ignored flags from a file name the line too.
  auto warnings =
      compat::check_certbot_usage({"renew", {"--debug"}, "", {{"--debug", "c.ini:4: debug"}}});
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], StartsWith("c.ini:4: debug is ignored: "));
  // -a from a file.
  CHECK_THROWS_WITH(compat::check_certbot_usage(
                        {"renew", {}, "apache", {{"--authenticator", "c.ini:5: authenticator"}}}),
                    StartsWith("c.ini:5: authenticator = apache: certsmith installs nothing"));
  CHECK_THROWS_WITH(compat::check_certbot_usage({"certonly", {}, "dns-\x1b[2J"}),
                    StartsWith("-a dns-\\x1b[2J: "));
}
