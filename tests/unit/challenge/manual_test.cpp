#include "challenge/manual.hpp"
#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "support/fake_process_runner.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using certsmith::ChallengeError;
using certsmith::UsageError;
using certsmith::challenge::make_manual_solver;
using certsmith::challenge::ManualHooks;
using certsmith::challenge::Task;
using certsmith::testing::FakeProcessRunner;

namespace {

const ManualHooks k_hooks{"/etc/hooks/auth.sh --add", "/etc/hooks/cleanup.sh"};

Task task(const std::string& domain, const std::string& type, const std::string& token) {
  return {domain, type, token, token + ".thumbprint"};
}

std::string env(const certsmith::util::ProcessRequest& request, const std::string& name) {
  return FakeProcessRunner::env_of(request, name).value_or("<unset>");
}

certsmith::util::ProcessResult exited(int code, std::string stdout_text = {},
                                      std::string stderr_text = {}) {
  certsmith::util::ProcessResult result;
  result.exit_code = code;
  result.output = stdout_text + stderr_text;
  result.stdout_text = std::move(stdout_text);
  result.stderr_text = std::move(stderr_text);
  return result;
}

} // namespace

TEST_CASE("manual http-01: the auth hook gets certbot's environment, values only there") {
  FakeProcessRunner runner;
  auto solver = make_manual_solver("http-01", k_hooks, runner);
  CHECK(solver->type() == "http-01");
  std::vector<Task> tasks = {task("a.example", "http-01", "tokA"),
                             task("b.example", "http-01", "tokB")};
  solver->perform(tasks);

  auto requests = runner.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& request : requests) {
    CHECK(request.argv.empty());
    CHECK(request.shell_command == "/etc/hooks/auth.sh --add"); // the command exactly as given
    CHECK(env(request, "CERTBOT_ALL_DOMAINS") == "a.example,b.example");
    CHECK(env(request, "CERTBOT_AUTH_OUTPUT") == "<unset>");
    CHECK(request.unset_env.empty());
  }
  CHECK(env(requests[0], "CERTBOT_DOMAIN") == "a.example");
  CHECK(env(requests[0], "CERTBOT_VALIDATION") == "tokA.thumbprint");
  CHECK(env(requests[0], "CERTBOT_TOKEN") == "tokA");
  CHECK(env(requests[0], "CERTBOT_REMAINING_CHALLENGES") == "1");
  CHECK(env(requests[1], "CERTBOT_DOMAIN") == "b.example");
  CHECK(env(requests[1], "CERTBOT_TOKEN") == "tokB");
  CHECK(env(requests[1], "CERTBOT_REMAINING_CHALLENGES") == "0");
}

TEST_CASE("manual dns-01: the validation is the base64url SHA-256 and there is no token") {
  FakeProcessRunner runner;
  auto solver = make_manual_solver("dns-01", k_hooks, runner);
  // A wildcard's authorization names its base domain, which certbot passes as is.
  Task wildcard = task("example.org", "dns-01", "tokW");
  solver->perform({wildcard});

  auto requests = runner.requests();
  REQUIRE(requests.size() == 1);
  std::string expected =
      certsmith::crypto::base64url_encode(certsmith::crypto::sha256("tokW.thumbprint"));
  CHECK(env(requests[0], "CERTBOT_VALIDATION") == expected);
  CHECK(expected.size() == 43);
  CHECK(env(requests[0], "CERTBOT_DOMAIN") == "example.org");
  CHECK(env(requests[0], "CERTBOT_TOKEN") == "<unset>");
  CHECK(env(requests[0], "CERTBOT_REMAINING_CHALLENGES") == "0");
  // A CERTBOT_TOKEN in certsmith's own environment is removed, as certbot does.
  CHECK(requests[0].unset_env == std::vector<std::string>{"CERTBOT_TOKEN"});

  solver->cleanup({wildcard});
  REQUIRE(runner.requests().size() == 2);
  CHECK(runner.requests()[1].unset_env == std::vector<std::string>{"CERTBOT_TOKEN"});
}

TEST_CASE("manual: the cleanup hook gets the auth hook's output, stripped, per task") {
  FakeProcessRunner runner;
  runner.set_default([](const certsmith::util::ProcessRequest& request) {
    if (request.shell_command == k_hooks.auth_hook)
      return exited(0, "  record-id-" + env(request, "CERTBOT_DOMAIN") + "\n\n",
                    "warning: zone is slow\n");
    return exited(0);
  });
  auto solver = make_manual_solver("dns-01", k_hooks, runner);
  std::vector<Task> tasks = {task("a.example", "dns-01", "tokA"),
                             task("a.example", "dns-01", "tokW")};
  solver->perform(tasks);
  solver->cleanup(tasks);

  auto requests = runner.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].shell_command == "/etc/hooks/cleanup.sh");
  // stdout only, stripped: the warning on stderr is not part of it (certbot).
  CHECK(env(requests[2], "CERTBOT_AUTH_OUTPUT") == "record-id-a.example");
  CHECK(env(requests[2], "CERTBOT_VALIDATION") == env(requests[0], "CERTBOT_VALIDATION"));
  CHECK(env(requests[3], "CERTBOT_VALIDATION") == env(requests[1], "CERTBOT_VALIDATION"));
  CHECK(env(requests[2], "CERTBOT_VALIDATION") != env(requests[3], "CERTBOT_VALIDATION"));
  CHECK(env(requests[3], "CERTBOT_ALL_DOMAINS") == "a.example,a.example");

  solver->cleanup(tasks); // a second cleanup has nothing left to undo
  CHECK(runner.requests().size() == 4);
}

TEST_CASE("manual: a failing auth hook is a ChallengeError naming the domain and status") {
  FakeProcessRunner runner;
  runner.set_result(k_hooks.auth_hook, exited(3, "adding the record\n", "zone \x1b[31mlocked\n"));
  auto solver = make_manual_solver("http-01", k_hooks, runner);
  std::vector<Task> tasks = {task("a.example", "http-01", "tokA"),
                             task("b.example", "http-01", "tokB")};
  try {
    solver->perform(tasks);
    FAIL("perform succeeded");
  } catch (const ChallengeError& error) {
    std::string message = error.what();
    CHECK(message.find("a.example") != std::string::npos);
    CHECK(message.find("--manual-auth-hook") != std::string::npos);
    CHECK(message.find("exit status 3") != std::string::npos);
    CHECK(message.find("locked") != std::string::npos);
    CHECK(message.find('\x1b') == std::string::npos); // the hook's output is escaped
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(runner.requests().size() == 1); // b.example's hook never ran

  solver->cleanup(tasks); // the failed task is cleaned up, the one never started is not
  auto requests = runner.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].shell_command == k_hooks.cleanup_hook);
  CHECK(env(requests[1], "CERTBOT_DOMAIN") == "a.example");
}

TEST_CASE("manual: cleanup never throws, whatever the runner or the hook does") {
  FakeProcessRunner runner;
  runner.set_result(k_hooks.cleanup_hook, exited(1, "gone already"));
  auto solver = make_manual_solver("http-01", k_hooks, runner);
  std::vector<Task> tasks = {task("a.example", "http-01", "tokA"),
                             task("b.example", "http-01", "tokB")};
  solver->perform(tasks);
  CHECK_NOTHROW(solver->cleanup(tasks));
  CHECK(runner.requests().size() == 4); // both cleanups ran despite the first failing

  FakeProcessRunner throwing;
  throwing.set_default(
      [](const certsmith::util::ProcessRequest& request) -> certsmith::util::ProcessResult {
        if (request.shell_command == k_hooks.cleanup_hook)
          throw std::runtime_error("fork failed");
        return exited(0);
      });
  auto second = make_manual_solver("http-01", k_hooks, throwing);
  second->perform(tasks);
  CHECK_NOTHROW(second->cleanup(tasks));
}

TEST_CASE("manual: a runner that throws during perform is a failed hook") {
  FakeProcessRunner runner;
  runner.set_default([](const certsmith::util::ProcessRequest&) -> certsmith::util::ProcessResult {
    throw std::runtime_error("out of processes");
  });
  auto solver = make_manual_solver("dns-01", k_hooks, runner);
  CHECK_THROWS_AS(solver->perform({task("a.example", "dns-01", "tokA")}), ChallengeError);
}

TEST_CASE("manual: without a cleanup hook nothing runs at cleanup") {
  FakeProcessRunner runner;
  auto solver = make_manual_solver("http-01", ManualHooks{"auth", ""}, runner);
  std::vector<Task> tasks = {task("a.example", "http-01", "tokA")};
  solver->perform(tasks);
  solver->cleanup(tasks);
  CHECK(runner.programs() == std::vector<std::string>{"auth"});
}

TEST_CASE("manual: other challenge types and a missing auth hook are usage errors") {
  FakeProcessRunner runner;
  CHECK_THROWS_AS(make_manual_solver("tls-alpn-01", k_hooks, runner), UsageError);
  CHECK_THROWS_AS(make_manual_solver("dns-01\x1b[2J", k_hooks, runner), UsageError);
  CHECK_THROWS_WITH(make_manual_solver("dns-01", ManualHooks{"", "cleanup"}, runner),
                    Catch::Contains("--manual-auth-hook"));
}
