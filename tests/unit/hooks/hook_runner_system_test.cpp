#include "hooks/hook_runner.hpp"
#include "unit/hooks/hook_test_support.hpp"
#include "util/log.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using certsmith::hooks::HookConfig;
using certsmith::hooks::HookRunner;
using certsmith::testing::HookTree;
using certsmith::util::SystemProcessRunner;

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

} // namespace

// The hook layer must not depend on domains having been validated upstream.
TEST_CASE("hooks (real shell): hostile domains reach the hook verbatim and run nothing") {
  HookTree tree;
  auto pwned = tree.root / "pwned";
  auto out = tree.root / "domains";
  auto lineage_out = tree.root / "lineage";
  std::string hostile = "$(touch " + pwned.string() + ") `touch " + pwned.string() +
                        "` a.example;touch " + pwned.string() + " \"'\\ *\n";
  HookConfig config;
  config.renewal_hooks_dir = tree.hooks_dir();
  config.deploy_hooks = {"printf %s \"$RENEWED_DOMAINS\" > '" + out.string() + "'"};
  // A directory hook whose own name is shell syntax runs directly, not through a shell.
  tree.add("deploy", "20 $(touch pwned);x",
           "#!/bin/sh\nprintf %s \"$RENEWED_LINEAGE\" > '" + lineage_out.string() + "'\n");
  SystemProcessRunner runner;
  HookRunner hooks(config, runner);
  hooks.run_deploy_hooks("/live/" + hostile, {hostile, "b.example"});

  CHECK(hooks.failures().empty());
  CHECK(slurp(out) == hostile + " b.example");
  CHECK(slurp(lineage_out) == "/live/" + hostile);
  CHECK_FALSE(fs::exists(pwned));
  CHECK_FALSE(fs::exists(tree.hooks_dir() / "deploy" / "pwned"));
}

TEST_CASE("hooks (real shell): post hooks see RENEWED_DOMAINS and FAILED_DOMAINS") {
  HookTree tree;
  auto out = tree.root / "post";
  // A script without #! that certbot would run through the shell.
  tree.add("post", "record",
           "printf '%s|%s' \"$RENEWED_DOMAINS\" \"$FAILED_DOMAINS\" > '" + out.string() + "'\n");
  HookConfig config;
  config.renewal_hooks_dir = tree.hooks_dir();
  SystemProcessRunner runner;
  HookRunner hooks(config, runner);
  hooks.run_pre_hooks();
  hooks.run_post_hooks({"a.example", "www.a.example"}, {"b.example"});
  CHECK(hooks.failures().empty());
  CHECK(slurp(out) == "a.example www.a.example|b.example");
}

TEST_CASE("hooks (real shell): a failing hook is logged with its status and output") {
  HookTree tree;
  auto log = tree.root / "logs" / "letsencrypt.log";
  certsmith::util::open_log_file(log);
  auto previous = certsmith::util::terminal_level();
  certsmith::util::set_terminal_level(certsmith::util::LogLevel::quiet);
  HookConfig config;
  config.pre_hooks = {"echo 'nginx: \x1b[31mbroken'; exit 3"};
  config.timeout = std::chrono::seconds(1);
  config.post_hooks = {"sleep 30"};
  SystemProcessRunner runner;
  HookRunner hooks(config, runner);
  hooks.run_pre_hooks();
  hooks.run_post_hooks({}, {});
  certsmith::util::close_log_file();
  certsmith::util::set_terminal_level(previous);

  auto failures = hooks.failures();
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].reason == "exit status 3");
  CHECK(failures[1].reason.rfind("timed out", 0) == 0);
  auto text = slurp(log);
  CHECK(
      text.find("WARNING pre-hook 'echo 'nginx: \\x1b[31mbroken'; exit 3' failed: exit status 3") !=
      std::string::npos);
  CHECK(text.find("DEBUG pre-hook 'echo 'nginx: \\x1b[31mbroken'; exit 3' output: nginx: "
                  "\\x1b[31mbroken") != std::string::npos);
  CHECK(text.find("WARNING post-hook 'sleep 30' failed: timed out") != std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
}
