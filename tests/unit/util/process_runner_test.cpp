#include "util/process_runner.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

using certsmith::util::k_max_output;
using certsmith::util::ProcessRequest;
using certsmith::util::ProcessResult;
using certsmith::util::SystemProcessRunner;
using namespace std::chrono_literals;

namespace {

ProcessRequest shell(std::string command, std::chrono::milliseconds timeout = 10s) {
  ProcessRequest request;
  request.shell_command = std::move(command);
  request.timeout = timeout;
  return request;
}

ProcessResult run(const ProcessRequest& request) {
  SystemProcessRunner runner;
  return runner.run(request);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Gone, or a zombie waiting for a reaper that is not us (in a container PID 1
// may never reap it): either way the process no longer runs.
bool process_is_dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content))
    return true;
  auto close_paren = content.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < content.size() &&
         content[close_paren + 2] == 'Z';
}

bool eventually_dead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (process_is_dead(pid))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "certsmith-proc-XXXXXX");
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("process runner: exit status is reported") {
  auto ok = run(shell("true"));
  CHECK(ok.succeeded());
  CHECK(ok.exit_code == 0);
  CHECK(ok.describe() == "exit status 0");

  auto failed = run(shell("exit 3"));
  CHECK_FALSE(failed.succeeded());
  CHECK(failed.exit_code == 3);
  CHECK(failed.signal == 0);
  CHECK_FALSE(failed.timed_out);
  CHECK(failed.error.empty());
  CHECK(failed.describe() == "exit status 3");
}

TEST_CASE("process runner: a signal that ends the program is reported") {
  auto result = run(shell("kill -9 $$"));
  CHECK(result.exit_code == -1);
  CHECK(result.signal == SIGKILL);
  CHECK_FALSE(result.succeeded());
  CHECK(result.describe() == "killed by signal 9 (SIGKILL)");
}

TEST_CASE("process runner: argv runs without a shell, hostile arguments stay verbatim") {
  ProcessRequest request;
  const std::string hostile = "a b;c $(touch /tmp/certsmith-pwned) `id` 'q\" \\ *";
  request.argv = {"/bin/sh", "-c", "printf '%s' \"$1\"", "sh", hostile};
  auto result = run(request);
  CHECK(result.succeeded());
  CHECK(result.output == hostile);

  SECTION("a bare name is looked up in PATH") {
    ProcessRequest printf_request;
    printf_request.argv = {"printf", "%s|%s", "one", "two words"};
    auto printed = run(printf_request);
    CHECK(printed.succeeded());
    CHECK(printed.output == "one|two words");
  }
}

TEST_CASE("process runner: an executable without #! runs as a shell script") {
  TempDir dir;
  auto script = dir.path / "no shebang; $(id)";
  std::ofstream(script) << "printf '%s' \"$0|$1\"\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  ProcessRequest request;
  request.argv = {script.string(), "arg"};
  auto result = run(request);
  CHECK(result.succeeded());
  CHECK(result.output == script.string() + "|arg");
}

TEST_CASE("process runner: extra environment is added and overrides the inherited one") {
  ::setenv("CERTSMITH_TEST_INHERITED", "from-parent", 1);
  ::setenv("CERTSMITH_TEST_OVERRIDDEN", "from-parent", 1);
  auto request = shell("printf '%s|%s|%s' \"$CERTSMITH_TEST_INHERITED\" "
                       "\"$CERTSMITH_TEST_OVERRIDDEN\" \"$CERTSMITH_TEST_NEW\"");
  request.extra_env = {{"CERTSMITH_TEST_OVERRIDDEN", "first"},
                       {"CERTSMITH_TEST_NEW", "$(touch /tmp/certsmith-pwned) \"x\" 'y'"},
                       {"CERTSMITH_TEST_OVERRIDDEN", "last"}};
  auto result = run(request);
  ::unsetenv("CERTSMITH_TEST_INHERITED");
  ::unsetenv("CERTSMITH_TEST_OVERRIDDEN");
  CHECK(result.succeeded());
  CHECK(result.output == "from-parent|last|$(touch /tmp/certsmith-pwned) \"x\" 'y'");

  SECTION("the overridden name appears once") {
    auto count = shell("env | grep -c '^CERTSMITH_TEST_OVERRIDDEN='");
    count.extra_env = {{"CERTSMITH_TEST_OVERRIDDEN", "a"}, {"CERTSMITH_TEST_OVERRIDDEN", "b"}};
    CHECK(run(count).output == "1\n");
  }
}

TEST_CASE("process runner: stdout and stderr are captured together and apart, stdin is empty") {
  // The pauses let each write be read before the next: across the two
  // streams the merged output is in the order certsmith read them.
  auto result =
      run(shell("echo out; sleep 0.2; echo err >&2; sleep 0.2; echo out2; printf tail >&2; cat"));
  CHECK(result.succeeded());
  CHECK(result.output.rfind("out\nerr\nout2\n", 0) == 0);
  CHECK(result.output.size() == std::string("out\nerr\nout2\ntail").size());
  CHECK(result.stdout_text == "out\nout2\n");
  CHECK(result.stderr_text == "err\ntail");
}

TEST_CASE("process runner: unset_env removes an inherited variable") {
  ::setenv("CERTSMITH_TEST_REMOVED", "from-parent", 1);
  ::setenv("CERTSMITH_TEST_KEPT", "kept", 1);
  auto request = shell("printf '%s|%s|%s' \"${CERTSMITH_TEST_REMOVED-unset}\" "
                       "\"$CERTSMITH_TEST_KEPT\" \"$CERTSMITH_TEST_REPLACED\"");
  request.unset_env = {"CERTSMITH_TEST_REMOVED", "CERTSMITH_TEST_REPLACED"};
  request.extra_env = {{"CERTSMITH_TEST_REPLACED", "new"}};
  auto result = run(request);
  ::unsetenv("CERTSMITH_TEST_REMOVED");
  ::unsetenv("CERTSMITH_TEST_KEPT");
  CHECK(result.stdout_text == "unset|kept|new");

  auto bad = shell("true");
  bad.unset_env = {"A=B"};
  CHECK(run(bad).exit_code == 126);
}

TEST_CASE("process runner: a program that cannot start is reported, not thrown") {
  TempDir dir;

  SECTION("missing absolute path") {
    ProcessRequest request;
    request.argv = {(dir.path / "no-such-program").string()};
    auto result = run(request);
    CHECK(result.exit_code == 127);
    CHECK_FALSE(result.succeeded());
    CHECK(result.error.find("No such file or directory") != std::string::npos);
    CHECK(result.error.find("no-such-program") != std::string::npos);
    CHECK(result.describe().rfind("could not start: cannot run ", 0) == 0);
  }
  SECTION("missing name in PATH") {
    ProcessRequest request;
    request.argv = {"certsmith-no-such-program-xyz"};
    CHECK(run(request).exit_code == 127);
  }
  SECTION("not executable") {
    auto script = dir.path / "script";
    std::ofstream(script) << "#!/bin/sh\necho hi\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
    ProcessRequest request;
    request.argv = {script.string()};
    auto result = run(request);
    CHECK(result.exit_code == 126);
    CHECK_FALSE(result.error.empty());
  }
  SECTION("missing program inside a shell command: the shell's own 127 and message") {
    auto result = run(shell("certsmith-no-such-program-xyz"));
    CHECK(result.exit_code == 127);
    CHECK(result.error.empty());
    CHECK(result.output.find("not found") != std::string::npos);
  }
  SECTION("malformed requests") {
    CHECK(run(ProcessRequest{}).exit_code == 126);
    ProcessRequest both = shell("true");
    both.argv = {"/bin/true"};
    CHECK(run(both).exit_code == 126);
    ProcessRequest bad_name = shell("true");
    bad_name.extra_env = {{"A=B", "x"}};
    CHECK(run(bad_name).error.find("invalid environment variable name") != std::string::npos);
    ProcessRequest empty_name = shell("true");
    empty_name.extra_env = {{"", "x"}};
    CHECK(run(empty_name).exit_code == 126);
    ProcessRequest nul_value = shell("true");
    nul_value.extra_env = {{"A", std::string("x\0y", 3)}};
    CHECK(run(nul_value).error.find("NUL") != std::string::npos);
    CHECK(run(shell(std::string("echo a\0b", 8))).exit_code == 126);
  }
}

TEST_CASE("process runner: a timeout kills the whole process group, grandchildren included") {
  auto start = std::chrono::steady_clock::now();
  // Two grandchildren: a plain sleep, and one that ignores SIGTERM.
  auto result = run(shell("sleep 30 & echo $!; sh -c \"trap '' TERM; exec sleep 30\" & echo $!; "
                          "sleep 30",
                          300ms));
  CHECK(seconds_since(start) < 5);
  CHECK(result.timed_out);
  CHECK_FALSE(result.succeeded());
  CHECK(result.signal == SIGTERM);
  CHECK(result.describe() == "timed out, killed by signal 15");
  std::istringstream pids(result.output);
  pid_t plain = 0;
  pid_t stubborn = 0;
  REQUIRE(pids >> plain >> stubborn);
  CHECK(eventually_dead(plain));
  CHECK(eventually_dead(stubborn));
}

TEST_CASE("process runner: a program ignoring SIGTERM is killed after the grace period") {
  auto request = shell("trap '' TERM; echo ready; sleep 30; sleep 30", 200ms);
  request.kill_grace = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto result = run(request);
  CHECK(seconds_since(start) < 5);
  CHECK(result.timed_out);
  CHECK(result.signal == SIGKILL);
  CHECK(result.output == "ready\n");
}

TEST_CASE("process runner: a program that closes its output and hangs still times out") {
  auto start = std::chrono::steady_clock::now();
  auto result = run(shell("exec >&- 2>&-; sleep 30", 300ms));
  CHECK(seconds_since(start) < 5);
  CHECK(result.timed_out);
}

TEST_CASE("process runner: a background process holding the output does not hang the run") {
  auto start = std::chrono::steady_clock::now();
  auto result = run(shell("sleep 30 & echo $!; exit 4", 20s));
  CHECK(seconds_since(start) < 10);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 4);
  CHECK(result.output.find("background process kept it open") != std::string::npos);
  pid_t background = std::stoi(result.output);
  ::kill(background, SIGKILL);
}

TEST_CASE("process runner: huge output is capped and the child is not blocked") {
  auto result = run(shell("head -c 1000000 /dev/zero | tr '\\0' a; echo done >&2"));
  CHECK(result.succeeded());
  REQUIRE(result.output.size() > k_max_output);
  CHECK(result.output.size() < k_max_output + 100);
  CHECK(result.output.substr(0, k_max_output) == std::string(k_max_output, 'a'));
  CHECK(result.output.find(std::to_string(1000000 + 5 - k_max_output) +
                           " more bytes of output dropped") != std::string::npos);
}

TEST_CASE("process runner: no descriptor of ours leaks into the child") {
  int leaky = ::open("/dev/null", O_RDONLY); // deliberately without O_CLOEXEC
  REQUIRE(leaky >= 0);
  auto result = run(shell("ls /proc/self/fd"));
  ::close(leaky);
  CHECK(result.succeeded());
  // 0-2 and the one ls opened to read its own fd directory.
  CHECK(result.output == "0\n1\n2\n3\n");
}

TEST_CASE("process runner: signal dispositions are reset in the child") {
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  auto result = run(shell("yes | head -n 1"));
  std::signal(SIGPIPE, previous);
  CHECK(result.succeeded());
  CHECK(result.output == "y\n"); // no "Broken pipe" from yes
}

TEST_CASE("process runner: runs from several threads at once") {
  SystemProcessRunner runner;
  std::atomic<int> wrong{0};
  std::atomic<int> slow{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { runner.run(shell("sleep 1.5")); });
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        auto request = shell("printf '%s' \"$ID\"");
        request.extra_env = {{"ID", std::to_string(i)}};
        auto start = std::chrono::steady_clock::now();
        auto result = runner.run(request);
        if (seconds_since(start) > 1.0)
          ++slow; // our pipe ended up in the sleeper's child
        if (!result.succeeded() || result.output != std::to_string(i))
          ++wrong;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(wrong == 0);
  CHECK(slow == 0);
}
