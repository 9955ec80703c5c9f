#pragma once
// The process seam: hooks (and anything else that starts a program) go through
// a ProcessRunner, so tests record argv and environment instead of running
// them (tests/support/fake_process_runner.hpp). Values reach a child only
// through argv entries or the environment, never spliced into a shell string.

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace certsmith::util {

/// What to run. Exactly one of argv and shell_command is set.
struct ProcessRequest {
  /// The program and its arguments, run without a shell; argv[0] is an absolute
  /// or relative path, or a bare name looked up in the caller's PATH. A file
  /// named by path that has no #! line runs as a /bin/sh script (as execvp does).
  std::vector<std::string> argv;
  /// A command line run as `/bin/sh -c -- shell_command`.
  std::string shell_command;
  /// Added to the inherited environment; a name already present is overridden
  /// (a name listed twice: the last value wins).
  std::vector<std::pair<std::string, std::string>> extra_env;
  /// Names removed from the inherited environment (a name also in extra_env
  /// keeps its extra_env value), e.g. a variable of ours a hook must not see.
  std::vector<std::string> unset_env;
  /// Wall-clock limit; on expiry the child's process group gets SIGTERM, then
  /// SIGKILL once the child has exited or kill_grace has passed.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
};

/// How it ended.
struct ProcessResult {
  /// The exit status when the program exited; -1 when a signal ended it; 127
  /// (not found) or 126 (any other reason) when it could not be started, as
  /// /bin/sh reports those.
  int exit_code = -1;
  /// The signal that ended the program, 0 when it exited by itself.
  int signal = 0;
  /// True when the timeout expired and the process group was killed.
  bool timed_out = false;
  /// stdout and stderr together in the order certsmith read them (each
  /// stream's own bytes in order), at most k_max_output bytes; a note at the
  /// end says how much more was dropped. For logs.
  std::string output;
  /// What the program wrote to stdout alone, at most k_max_output bytes, with
  /// no note added (certbot hands a hook's stdout on as CERTBOT_AUTH_OUTPUT).
  std::string stdout_text;
  /// What the program wrote to stderr alone, at most k_max_output bytes.
  std::string stderr_text;
  /// Why the program could not be started (empty when it was).
  std::string error;

  /// Started, exited by itself, status 0.
  bool succeeded() const { return error.empty() && !timed_out && signal == 0 && exit_code == 0; }
  /// One phrase for logs: "exit status 3", "killed by signal 9 (Killed)", "timed out", ...
  std::string describe() const;
};

/// Output beyond this many bytes is read and dropped so the child never blocks.
inline constexpr std::size_t k_max_output = 64 * 1024;

class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  /// Runs the request to completion or timeout. Failure to start is reported in
  /// the result (exit_code 127/126 and error), not thrown. Thread-safe.
  virtual ProcessResult run(const ProcessRequest& request) = 0;
};

/// The real runner: posix_spawn into a new process group, stdin from /dev/null,
/// stdout and stderr into two pipes read with poll(); no descriptor but 0-2 survives
/// into the child. Safe to call from several threads at once.
class SystemProcessRunner : public ProcessRunner {
public:
  ProcessResult run(const ProcessRequest& request) override;
};

} // namespace certsmith::util
