#include "hooks/hook_runner.hpp"
#include "support/fake_process_runner.hpp"
#include "unit/hooks/hook_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <stdexcept>
#include <thread>

using certsmith::hooks::HookConfig;
using certsmith::hooks::HookRunner;
using certsmith::hooks::HookStage;
using certsmith::testing::FakeProcessRunner;
using certsmith::testing::HookTree;
using certsmith::util::ProcessRequest;
using certsmith::util::ProcessResult;
using Strings = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {

HookConfig config_for(const HookTree& tree) {
  HookConfig config;
  config.renewal_hooks_dir = tree.hooks_dir();
  return config;
}

ProcessResult exited(int code) {
  ProcessResult result;
  result.exit_code = code;
  return result;
}

std::string env(const ProcessRequest& request, const std::string& name) {
  return FakeProcessRunner::env_of(request, name).value_or("<unset>");
}

} // namespace

TEST_CASE("hooks: a renew run: pre once before, deploy per lineage, post once at the end") {
  HookTree tree;
  auto pre_dir = tree.add("pre", "10-stop");
  auto deploy_dir = tree.add("deploy", "10-reload");
  auto post_dir = tree.add("post", "10-start");
  auto config = config_for(tree);
  config.pre_hooks = {"echo pre"};
  config.deploy_hooks = {"echo deploy"};
  config.post_hooks = {"echo post"};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);

  hooks.run_pre_hooks();
  hooks.run_deploy_hooks("/etc/le/live/a.example", {"a.example", "www.a.example"});
  hooks.run_pre_hooks();
  hooks.run_deploy_hooks("/etc/le/live/b.example", {"b.example"});
  hooks.run_pre_hooks();
  hooks.run_post_hooks({"a.example", "www.a.example", "b.example"}, {"c.example"});

  CHECK(fake.programs() == Strings{pre_dir.string(), "echo pre", deploy_dir.string(), "echo deploy",
                                   deploy_dir.string(), "echo deploy", post_dir.string(),
                                   "echo post"});
  auto requests = fake.requests();
  // Directory hooks run directly, commands through the shell.
  CHECK(requests[0].argv == Strings{pre_dir.string()});
  CHECK(requests[0].shell_command.empty());
  CHECK(requests[1].argv.empty());
  CHECK(requests[1].shell_command == "echo pre");
  // Pre hooks get no renewal variables.
  CHECK(requests[1].extra_env.empty());
  for (int i : {2, 3}) {
    CHECK(env(requests[i], "RENEWED_LINEAGE") == "/etc/le/live/a.example");
    CHECK(env(requests[i], "RENEWED_DOMAINS") == "a.example www.a.example");
    CHECK(env(requests[i], "FAILED_DOMAINS") == "<unset>");
  }
  for (int i : {4, 5}) {
    CHECK(env(requests[i], "RENEWED_LINEAGE") == "/etc/le/live/b.example");
    CHECK(env(requests[i], "RENEWED_DOMAINS") == "b.example");
  }
  for (int i : {6, 7}) {
    CHECK(env(requests[i], "RENEWED_DOMAINS") == "a.example www.a.example b.example");
    CHECK(env(requests[i], "FAILED_DOMAINS") == "c.example");
    CHECK(env(requests[i], "RENEWED_LINEAGE") == "<unset>");
  }
  CHECK(requests[0].timeout == config.timeout);
  CHECK(hooks.failures().empty());
}

TEST_CASE("hooks: post hooks run once, and only when a renewal was attempted") {
  HookTree tree;
  auto config = config_for(tree);
  config.post_hooks = {"echo post"};
  FakeProcessRunner fake;

  SECTION("nothing attempted: no post hook") {
    HookRunner hooks(config, fake);
    CHECK_FALSE(hooks.attempted());
    hooks.add_post_hook("echo lineage-post");
    hooks.run_post_hooks({}, {});
    CHECK(fake.programs().empty());
  }
  SECTION("note_attempt without pre hooks is enough") {
    HookRunner hooks(config, fake);
    hooks.note_attempt();
    CHECK(hooks.attempted());
    hooks.run_post_hooks({}, {"a.example"});
    hooks.run_post_hooks({}, {"a.example"});
    CHECK(fake.programs() == Strings{"echo post"});
    CHECK(env(fake.requests()[0], "RENEWED_DOMAINS").empty());
    CHECK(env(fake.requests()[0], "FAILED_DOMAINS") == "a.example");
  }
  SECTION("post hooks from renewal confs are collected, each once, after the command line's") {
    HookRunner hooks(config, fake);
    hooks.run_pre_hooks();
    hooks.add_post_hook("systemctl start nginx");
    hooks.add_post_hook("echo post");
    hooks.add_post_hook("systemctl start nginx");
    hooks.add_post_hook("");
    hooks.add_post_hook("systemctl start apache2");
    hooks.run_post_hooks({"a.example"}, {});
    CHECK(fake.programs() ==
          Strings{"echo post", "systemctl start nginx", "systemctl start apache2"});
  }
}

TEST_CASE("hooks: directory hooks run sorted, skipping backups and non-executables") {
  HookTree tree;
  auto b = tree.add("pre", "b-second");
  auto a = tree.add("pre", "a-first");
  tree.add("pre", "a-first~");
  tree.add("pre", "c-not-executable", "#!/bin/sh\n", false);
  auto z = tree.add("pre", "Z-upper"); // byte order: upper case before lower case
  FakeProcessRunner fake;
  HookRunner hooks(config_for(tree), fake);
  hooks.run_pre_hooks();
  CHECK(fake.programs() == Strings{z.string(), a.string(), b.string()});
}

TEST_CASE("hooks: identical commands, and a command naming a directory hook, run once") {
  HookTree tree;
  auto stop = tree.add("pre", "stop-nginx");
  auto reload = tree.add("deploy", "reload-nginx");
  auto start = tree.add("post", "start-nginx");
  auto config = config_for(tree);
  config.pre_hooks = {"echo a", stop.string(), "echo a",
                      (tree.hooks_dir() / "pre" / ".." / "pre" / "stop-nginx").string()};
  config.deploy_hooks = {reload.string(), "echo d"};
  config.post_hooks = {start.string()};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);

  hooks.run_pre_hooks({"echo a", "echo lineage", stop.string()});
  hooks.run_pre_hooks({"echo lineage", "echo other lineage", " " + stop.string()});
  hooks.run_deploy_hooks("/live/x", {"x"}, {"echo d", reload.string(), "echo lineage-deploy"});
  hooks.add_post_hook(start.string());
  hooks.run_post_hooks({"x"}, {});

  CHECK(fake.programs() == Strings{stop.string(), "echo a", "echo lineage", "echo other lineage",
                                   reload.string(), "echo d", "echo lineage-deploy",
                                   start.string()});

  SECTION("a command with arguments is a different command") {
    FakeProcessRunner fake2;
    auto config2 = config_for(tree);
    config2.pre_hooks = {stop.string() + " --force"};
    HookRunner hooks2(config2, fake2);
    hooks2.run_pre_hooks();
    CHECK(fake2.programs() == Strings{stop.string(), stop.string() + " --force"});
  }
}

TEST_CASE("hooks: --no-directory-hooks skips the directories") {
  HookTree tree;
  tree.add("pre", "p");
  tree.add("deploy", "d");
  tree.add("post", "q");
  auto config = config_for(tree);
  config.use_directory_hooks = false;
  config.pre_hooks = {"echo pre"};
  config.deploy_hooks = {"echo deploy"};
  config.post_hooks = {"echo post"};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);
  hooks.run_pre_hooks();
  hooks.run_deploy_hooks("/live/x", {"x"});
  hooks.run_post_hooks({"x"}, {});
  CHECK(fake.programs() == Strings{"echo pre", "echo deploy", "echo post"});
}

TEST_CASE("hooks: a missing hooks directory means no directory hooks") {
  HookConfig config;
  config.renewal_hooks_dir = "/nonexistent/certsmith/renewal-hooks";
  config.pre_hooks = {"echo pre"};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);
  hooks.run_pre_hooks();
  CHECK(fake.programs() == Strings{"echo pre"});
  CHECK(hooks.failures().empty());
}

TEST_CASE("hooks: a failing hook is recorded and the others still run") {
  HookTree tree;
  auto config = config_for(tree);
  config.pre_hooks = {"exit 2", "echo pre"};
  config.deploy_hooks = {"sleep forever", "cannot start", "throws", "echo deploy"};
  FakeProcessRunner fake;
  fake.set_result("exit 2", exited(2));
  ProcessResult timed_out;
  timed_out.timed_out = true;
  timed_out.signal = 15;
  fake.set_result("sleep forever", timed_out);
  ProcessResult not_started = exited(127);
  not_started.error = "cannot run x: No such file or directory";
  fake.set_result("cannot start", not_started);
  fake.set_default([](const ProcessRequest& request) {
    if (request.shell_command == "throws")
      throw std::runtime_error("runner exploded");
    return exited(0);
  });
  // The pre directory is a file: it cannot be listed.
  std::filesystem::remove(tree.hooks_dir() / "pre");
  std::ofstream(tree.hooks_dir() / "pre") << "not a directory";

  HookRunner hooks(config, fake);
  REQUIRE_NOTHROW(hooks.run_pre_hooks());
  REQUIRE_NOTHROW(hooks.run_deploy_hooks("/live/x", {"x"}));
  CHECK(fake.programs() ==
        Strings{"exit 2", "echo pre", "sleep forever", "cannot start", "throws", "echo deploy"});

  auto failures = hooks.failures();
  REQUIRE(failures.size() == 5);
  CHECK(failures[0].stage == HookStage::pre);
  CHECK(failures[0].hook == (tree.hooks_dir() / "pre").string());
  CHECK(failures[0].reason.find("cannot list hook directory") != std::string::npos);
  CHECK(failures[1].stage == HookStage::pre);
  CHECK(failures[1].hook == "exit 2");
  CHECK(failures[1].reason == "exit status 2");
  CHECK(failures[1].lineage_live_dir.empty());
  CHECK(failures[2].stage == HookStage::deploy);
  CHECK(failures[2].hook == "sleep forever");
  CHECK(failures[2].reason == "timed out, killed by signal 15");
  CHECK(failures[2].lineage_live_dir == "/live/x");
  CHECK(failures[3].reason == "could not start: cannot run x: No such file or directory");
  CHECK(failures[4].reason == "could not start: runner exploded");
}

TEST_CASE("hooks: a dry run skips deploy hooks unless asked, and runs pre and post hooks") {
  HookTree tree;
  auto deploy_dir = tree.add("deploy", "reload");
  auto config = config_for(tree);
  config.dry_run = true;
  config.pre_hooks = {"echo pre"};
  config.deploy_hooks = {"echo deploy"};
  config.post_hooks = {"echo post"};
  FakeProcessRunner fake;

  SECTION("--dry-run") {
    HookRunner hooks(config, fake);
    hooks.run_pre_hooks();
    hooks.run_deploy_hooks("/live/x", {"x"}, {"echo lineage-deploy"});
    hooks.run_post_hooks({"x"}, {});
    CHECK(fake.programs() == Strings{"echo pre", "echo post"});
  }
  SECTION("--dry-run --run-deploy-hooks") {
    config.run_deploy_hooks = true;
    HookRunner hooks(config, fake);
    hooks.run_pre_hooks();
    hooks.run_deploy_hooks("/live/x", {"x"}, {"echo lineage-deploy"});
    hooks.run_post_hooks({"x"}, {});
    CHECK(fake.programs() == Strings{"echo pre", deploy_dir.string(), "echo deploy",
                                     "echo lineage-deploy", "echo post"});
  }
}

TEST_CASE("hooks: domains reach hooks only through the environment") {
  const std::string hostile = "$(touch /tmp/certsmith-pwned) `id` a.example;reboot \"'\n*";
  auto config = HookConfig{};
  config.deploy_hooks = {"printf %s \"$RENEWED_DOMAINS\""};
  config.post_hooks = {"printf %s \"$FAILED_DOMAINS\""};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);
  hooks.run_pre_hooks();
  hooks.run_deploy_hooks("/live/" + hostile, {hostile, "b.example"});
  hooks.run_post_hooks({hostile}, {hostile});
  auto requests = fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].shell_command == config.deploy_hooks[0]);
  CHECK(env(requests[0], "RENEWED_DOMAINS") == hostile + " b.example");
  CHECK(env(requests[0], "RENEWED_LINEAGE") == "/live/" + hostile);
  CHECK(requests[1].shell_command == config.post_hooks[0]);
  CHECK(env(requests[1], "FAILED_DOMAINS") == hostile);
}

TEST_CASE("hooks: post hook domain lists are capped at whole names") {
  HookConfig config;
  config.post_hooks = {"echo post"};
  FakeProcessRunner fake;
  HookRunner hooks(config, fake);
  hooks.note_attempt();
  Strings many;
  for (int i = 0; i < 3000; ++i)
    many.push_back(fmt::format("host{:05}.example", i)); // 17 bytes each
  hooks.run_post_hooks(many, {"failed.example"});
  auto renewed = env(fake.requests().at(0), "RENEWED_DOMAINS");
  CHECK(renewed.size() <= HookRunner::k_max_domains_env);
  CHECK(renewed.size() > HookRunner::k_max_domains_env - 18);
  CHECK(renewed.rfind("host00000.example ", 0) == 0);
  CHECK(renewed.substr(renewed.size() - 17).rfind("host", 0) == 0);
  CHECK(env(fake.requests().at(0), "FAILED_DOMAINS") == "failed.example");
}

TEST_CASE("hooks: concurrent workers run the pre hooks once and wait for them") {
  HookTree tree;
  auto config = config_for(tree);
  config.pre_hooks = {"slow pre"};
  FakeProcessRunner fake;
  std::atomic<bool> pre_done{false};
  fake.set_default([&](const ProcessRequest& request) {
    if (request.shell_command == "slow pre") {
      std::this_thread::sleep_for(100ms);
      pre_done = true;
    }
    return exited(0);
  });
  HookRunner hooks(config, fake);
  std::atomic<int> started_early{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 8; ++i)
    workers.emplace_back([&, i] {
      hooks.run_pre_hooks();
      if (!pre_done)
        ++started_early;
      hooks.run_deploy_hooks("/live/" + std::to_string(i), {std::to_string(i)},
                             {"deploy " + std::to_string(i)});
      hooks.add_post_hook("post");
    });
  for (auto& worker : workers)
    worker.join();
  hooks.run_post_hooks({}, {});
  CHECK(started_early == 0);
  auto programs = fake.programs();
  REQUIRE(programs.size() == 10);
  CHECK(programs.front() == "slow pre");
  CHECK(programs.back() == "post");
  CHECK(std::count(programs.begin(), programs.end(), "slow pre") == 1);
}
