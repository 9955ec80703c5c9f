#include "util/process_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <iterator>
#include <poll.h>
#include <spawn.h>
#include <string_view>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace certsmith::util {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A child that exits while something it started in the background still holds
// the output pipe (a hook that launches a daemon) must not be reported as hung.
constexpr milliseconds k_drain_after_exit{1000};
constexpr milliseconds k_poll_tick{100};

std::string errno_text(int code) {
  return std::error_code(code, std::generic_category()).message();
}

bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// Returns why the request cannot be run, or an empty string.
std::string invalid_reason(const ProcessRequest& request) {
  if (request.argv.empty() == request.shell_command.empty())
    return "exactly one of argv and shell_command must be given";
  if (!request.argv.empty() && request.argv[0].empty())
    return "empty program name";
  for (const auto& arg : request.argv)
    if (has_nul(arg))
      return "argument contains a NUL byte";
  if (has_nul(request.shell_command))
    return "command contains a NUL byte";
  for (const auto& name : request.unset_env)
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name))
      return fmt::format("invalid environment variable name '{}'", name);
  for (const auto& [name, value] : request.extra_env) {
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name))
      return fmt::format("invalid environment variable name '{}'", name);
    if (has_nul(value))
      return fmt::format("environment variable {} contains a NUL byte", name);
  }
  return {};
}

// The parent's environment without unset_env, with extra_env laid over it.
std::vector<std::string> build_environment(const ProcessRequest& request) {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    bool overridden = std::any_of(request.extra_env.begin(), request.extra_env.end(),
                                  [&](const auto& pair) { return pair.first == name; });
    bool unset = std::find(request.unset_env.begin(), request.unset_env.end(), name) !=
                 request.unset_env.end();
    if (!overridden && !unset)
      env.emplace_back(text);
  }
  const auto& extra = request.extra_env;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    // A name given twice: the last value wins, as it would with setenv().
    bool repeated_later = std::any_of(std::next(it), extra.end(),
                                      [&](const auto& pair) { return pair.first == it->first; });
    if (!repeated_later)
      env.push_back(it->first + "=" + it->second);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings)
    pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// RAII for the spawn attribute objects so every early return releases them.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Child: stdout and stderr each into its pipe (dup2 first, in case a pipe
// landed on fd 0-2 because the parent had them closed), stdin from /dev/null, every
// other descriptor closed even if someone forgot O_CLOEXEC; its own process
// group so a timeout reaches grandchildren; signal dispositions and mask reset,
// because an inherited SIG_IGN for SIGPIPE or SIGTERM would change how a hook
// behaves.
int prepare_spawn(SpawnSetup& setup, int stdout_fd, int stderr_fd) {
  int rc = posix_spawn_file_actions_adddup2(&setup.actions, stdout_fd, STDOUT_FILENO);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&setup.actions, stderr_fd, STDERR_FILENO);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  sigset_t empty;
  sigset_t defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  if (rc == 0)
    rc = posix_spawnattr_setsigmask(&setup.attr, &empty);
  if (rc == 0)
    rc = posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (rc == 0)
    rc = posix_spawnattr_setpgroup(&setup.attr, 0);
  if (rc == 0)
    rc = posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                   POSIX_SPAWN_SETSIGDEF);
  return rc;
}

class OutputCollector {
public:
  void append(const char* data, std::size_t size) {
    std::size_t room = k_max_output - std::min(k_max_output, m_text.size());
    std::size_t kept = std::min(room, size);
    m_text.append(data, kept);
    m_dropped += size - kept;
  }
  std::string finish(bool abandoned) {
    if (m_dropped > 0)
      m_text += fmt::format("\n[certsmith: {} more bytes of output dropped]", m_dropped);
    if (abandoned)
      m_text += "\n[certsmith: stopped reading output: a background process kept it open]";
    return std::move(m_text);
  }
  /// The kept bytes alone, without notes.
  std::string take() { return std::move(m_text); }

private:
  std::string m_text;
  std::size_t m_dropped = 0;
};

class Child {
public:
  explicit Child(pid_t pid) : m_pid(pid) {}

  bool reaped() const { return m_reaped; }

  // Non-blocking reap of the direct child; true once it is gone.
  bool try_reap() {
    if (m_reaped)
      return true;
    int status = 0;
    pid_t rc;
    do {
      rc = ::waitpid(m_pid, &status, WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc == m_pid)
      record(status);
    else if (rc < 0) // ECHILD: SIGCHLD is ignored and the kernel reaped it for us
      m_reaped = true;
    return m_reaped;
  }

  void reap_blocking() {
    if (m_reaped)
      return;
    int status = 0;
    pid_t rc;
    do {
      rc = ::waitpid(m_pid, &status, 0);
    } while (rc < 0 && errno == EINTR);
    if (rc == m_pid)
      record(status);
    m_reaped = true;
  }

  // SIGTERM to the whole group; once the direct child is gone (or the grace is
  // over) SIGKILL to whatever is left. Waiting on the group itself would not
  // work: its reparented zombies count as members until someone else reaps them.
  void kill_group(milliseconds grace) {
    ::kill(-m_pid, SIGTERM);
    auto deadline = Clock::now() + grace;
    milliseconds pause{1};
    while (!try_reap() && Clock::now() < deadline) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, milliseconds(50));
    }
    ::kill(-m_pid, SIGKILL);
    reap_blocking();
  }

  void fill(ProcessResult& result) const {
    if (WIFEXITED(m_status) && m_status_known) {
      result.exit_code = WEXITSTATUS(m_status);
    } else if (WIFSIGNALED(m_status) && m_status_known) {
      result.exit_code = -1;
      result.signal = WTERMSIG(m_status);
    }
  }

private:
  void record(int status) {
    m_status = status;
    m_status_known = true;
    m_reaped = true;
  }

  pid_t m_pid;
  int m_status = 0;
  bool m_status_known = false;
  bool m_reaped = false;
};

ProcessResult start_failure(int exit_code, std::string error) {
  ProcessResult result;
  result.exit_code = exit_code;
  result.error = std::move(error);
  return result;
}

} // namespace

std::string ProcessResult::describe() const {
  if (!error.empty())
    return "could not start: " + error;
  if (timed_out)
    return signal != 0 ? fmt::format("timed out, killed by signal {}", signal) : "timed out";
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return name ? fmt::format("killed by signal {} (SIG{})", signal, name)
                : fmt::format("killed by signal {}", signal);
  }
  return fmt::format("exit status {}", exit_code);
}

ProcessResult SystemProcessRunner::run(const ProcessRequest& request) {
  if (std::string reason = invalid_reason(request); !reason.empty())
    return start_failure(126, reason);

  std::vector<std::string> args =
      request.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", "--", request.shell_command}
                           : request.argv;
  std::vector<std::string> env = build_environment(request);
  std::vector<char*> c_args = c_strings(args);
  std::vector<char*> c_env = c_strings(env);

  // O_CLOEXEC at creation: another thread spawning at the same moment must not
  // inherit a write end, or our EOF would wait for its child too.
  int out_fds[2];
  int err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0)
    return start_failure(126, "cannot create a pipe: " + errno_text(errno));
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    int code = errno;
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    return start_failure(126, "cannot create a pipe: " + errno_text(code));
  }

  pid_t pid = -1;
  int rc;
  {
    SpawnSetup setup;
    rc = prepare_spawn(setup, out_fds[1], err_fds[1]);
    if (rc == 0) {
      bool search_path = !request.argv.empty() && args[0].find('/') == std::string::npos;
      rc = search_path ? ::posix_spawnp(&pid, args[0].c_str(), &setup.actions, &setup.attr,
                                        c_args.data(), c_env.data())
                       : ::posix_spawn(&pid, args[0].c_str(), &setup.actions, &setup.attr,
                                       c_args.data(), c_env.data());
    }
  }
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  if (rc == ENOEXEC && !request.argv.empty() && args[0].find('/') != std::string::npos &&
      args[0] != "/bin/sh") {
    // No #! line: run it as a shell script, as execvp() and /bin/sh do, so a
    // hook script that worked under certbot (which goes through the shell) works here.
    ProcessRequest as_script = request;
    as_script.argv.insert(as_script.argv.begin(), "/bin/sh");
    ::close(out_fds[0]);
    ::close(err_fds[0]);
    return run(as_script);
  }
  if (rc != 0) {
    ::close(out_fds[0]);
    ::close(err_fds[0]);
    return start_failure(rc == ENOENT ? 127 : 126,
                         fmt::format("cannot run {}: {}", args[0], errno_text(rc)));
  }

  Child child(pid);
  OutputCollector output;
  OutputCollector streams[2]; // stdout, stderr
  ProcessResult result;
  int read_fds[2] = {out_fds[0], err_fds[0]};
  const auto open_count = [&] { return (read_fds[0] >= 0 ? 1 : 0) + (read_fds[1] >= 0 ? 1 : 0); };
  bool abandoned = false;
  const auto deadline = Clock::now() + request.timeout;
  Clock::time_point exited_at{};
  milliseconds idle_pause{1};
  char buffer[16384];

  for (;;) {
    bool was_reaped = child.reaped();
    if (child.try_reap() && !was_reaped)
      exited_at = Clock::now();
    auto now = Clock::now();
    if (child.reaped() && open_count() == 0)
      break;
    if (child.reaped() && now - exited_at >= k_drain_after_exit) {
      abandoned = true;
      break;
    }
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    auto wait = std::min(std::chrono::duration_cast<milliseconds>(deadline - now), k_poll_tick);
    if (open_count() == 0) {
      // The child closed its output but has not exited yet (or is exiting now).
      std::this_thread::sleep_for(std::min(wait, idle_pause));
      idle_pause = std::min(idle_pause * 2, milliseconds(50));
      continue;
    }
    // A closed stream's slot holds -1, which poll() skips.
    pollfd pfds[2] = {{read_fds[0], POLLIN, 0}, {read_fds[1], POLLIN, 0}};
    int ready = ::poll(pfds, 2, static_cast<int>(std::max<long long>(wait.count(), 1)));
    if (ready <= 0)
      continue; // timeout tick or EINTR
    for (int stream = 0; stream < 2; ++stream) {
      if (read_fds[stream] < 0 || pfds[stream].revents == 0)
        continue;
      ssize_t n = ::read(read_fds[stream], buffer, sizeof buffer);
      if (n > 0) {
        output.append(buffer, static_cast<std::size_t>(n));
        streams[stream].append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(read_fds[stream]);
        read_fds[stream] = -1;
      }
    }
  }
  for (int fd : read_fds)
    if (fd >= 0)
      ::close(fd);
  if (result.timed_out)
    child.kill_group(request.kill_grace);
  child.fill(result);
  result.output = output.finish(abandoned);
  result.stdout_text = streams[0].take();
  result.stderr_text = streams[1].take();
  return result;
}

} // namespace certsmith::util
