#include "store/tree_lock.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using certsmith::StorageError;
using namespace certsmith::store;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

const char* const k_python = "/usr/bin/python3";

std::string held_message(const fs::path& lock_file) {
  return "another instance of certsmith or certbot is already running (lock held on " +
         lock_file.string() + ")";
}

int exit_code_of(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// POSIX record locks belong to a process, so "someone else" must be another
// process: the child tries to take the tree and reports through its exit code
// (0 refused with the expected message, 1 acquired, 2 any other error).
int try_lock_in_child(const TreePaths& paths, const fs::path& expected_lock_file) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 2;
    try {
      auto lock = TreeLock::acquire(paths);
      code = 1;
    } catch (const StorageError& error) {
      code = error.what() == held_message(expected_lock_file) ? 0 : 2;
    } catch (...) {
    }
    ::_exit(code);
  }
  REQUIRE(pid > 0);
  return exit_code_of(pid);
}

// A running python3 (argv: -c script args...), with our end of its stdin and stdout.
struct Python {
  pid_t pid = -1;
  int to_child = -1;
  int from_child = -1;

  Python(const std::string& script, const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> argv_text = {k_python, "-c", script};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::execv(k_python, argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child = in[1];
    from_child = out[0];
    REQUIRE(pid > 0);
  }
  Python(const Python&) = delete;
  Python& operator=(const Python&) = delete;
  ~Python() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      exit_code_of(pid);
    }
    ::close(to_child);
    ::close(from_child);
  }

  // One line of its stdout, without the newline ("" at end of file).
  std::string read_line() {
    std::string line;
    char c = 0;
    while (::read(from_child, &c, 1) == 1 && c != '\n') {
      line.push_back(c);
    }
    return line;
  }

  // Close its stdin (the signal to let go) and wait for its exit code.
  int finish() {
    ::close(to_child);
    to_child = -1;
    int code = exit_code_of(pid);
    pid = -1;
    return code;
  }
};

bool python_available() {
  if (::access(k_python, X_OK) != 0) {
    WARN("skipped: " << k_python << " is not installed");
    return false;
  }
  return true;
}

// Holds an exclusive lockf() on argv[1] until stdin closes.
const char* const k_python_holder = R"(
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print('locked', flush=True)
sys.stdin.read()
)";

// Exit 3 when the lock on argv[1] is held elsewhere, 0 when it was free.
const char* const k_python_prober = R"(
import errno, fcntl, os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o600)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as e:
    sys.exit(3 if e.errno in (errno.EACCES, errno.EAGAIN) else 4)
)";

// certbot's own lock module on directory argv[1]: holds it until stdin closes,
// or with argv[2] == "probe" exits 3 when it is held elsewhere. Exit 5: no certbot.
const char* const k_certbot_locker = R"(
import sys
try:
    from certbot import errors
    from certbot._internal import lock
except ImportError:
    sys.exit(5)
try:
    held = lock.lock_dir(sys.argv[1])
except errors.LockError:
    sys.exit(3)
if sys.argv[2] == 'probe':
    held.release()
    sys.exit(0)
print('locked', flush=True)
sys.stdin.read()
held.release()
)";

} // namespace

TEST_CASE("tree lock: creates the three dirs with certbot's modes and locks each",
          "[store][lock]") {
  TempTree tree;
  auto paths = TreePaths::under(tree.root() / "nested");
  mode_t old_umask = ::umask(0077);
  {
    auto lock = TreeLock::acquire(paths);
    ::umask(old_umask);
    CHECK(mode_of(paths.config_dir) == 0755);
    CHECK(mode_of(paths.work_dir) == 0755);
    CHECK(mode_of(paths.logs_dir) == 0700);
    CHECK(lock.files() == std::vector<fs::path>{TreeLock::lock_file(paths.logs_dir),
                                                TreeLock::lock_file(paths.config_dir),
                                                TreeLock::lock_file(paths.work_dir)});
    for (const auto& file : lock.files()) {
      CAPTURE(file);
      CHECK(fs::is_regular_file(file));
      CHECK(mode_of(file) == 0600);
    }
  }
  ::umask(old_umask);
  // Released as certbot releases: the lock files are gone.
  CHECK_FALSE(fs::exists(TreeLock::lock_file(paths.config_dir)));
  CHECK_FALSE(fs::exists(TreeLock::lock_file(paths.logs_dir)));
  CHECK_FALSE(fs::exists(TreeLock::lock_file(paths.work_dir)));
}

TEST_CASE("tree lock: another process cannot take a held tree, and can once it is released",
          "[store][lock]") {
  TempTree tree;
  auto paths = tree.paths();
  {
    auto lock = TreeLock::acquire(paths);
    // The logs dir is locked first, so that is the one named.
    CHECK(try_lock_in_child(paths, TreeLock::lock_file(paths.logs_dir)) == 0);
    // Sharing only the config dir is enough to be refused.
    auto other = TreePaths::under(tree.root() / "other");
    other.config_dir = paths.config_dir;
    CHECK(try_lock_in_child(other, TreeLock::lock_file(paths.config_dir)) == 0);
    // Nothing left behind by the refused attempt in the dirs it created.
    CHECK_FALSE(fs::exists(TreeLock::lock_file(other.logs_dir)));
  }
  CHECK(try_lock_in_child(paths, {}) == 1);
}

TEST_CASE("tree lock: a second lock in the same process is refused too", "[store][lock]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lock = TreeLock::acquire(paths);
  CHECK_THROWS_WITH(TreeLock::acquire(paths), held_message(TreeLock::lock_file(paths.logs_dir)));
  // The refused attempt did not disturb the holder.
  CHECK(try_lock_in_child(paths, TreeLock::lock_file(paths.logs_dir)) == 0);
  CHECK(fs::exists(TreeLock::lock_file(paths.logs_dir)));

  auto moved = std::move(lock);
  CHECK(lock.files().empty());
  CHECK(moved.files().size() == 3);
  CHECK(try_lock_in_child(paths, TreeLock::lock_file(paths.logs_dir)) == 0);
  moved.release();
  moved.release();
  CHECK(try_lock_in_child(paths, {}) == 1);
}

TEST_CASE("tree lock: a directory named twice is locked once", "[store][lock]") {
  TempTree tree;
  TreePaths paths;
  paths.config_dir = tree.root() / "all";
  paths.work_dir = tree.root() / "all";
  paths.logs_dir = tree.root() / "all" / "." / "";
  auto lock = TreeLock::acquire(paths);
  CHECK(lock.files().size() == 1);
}

TEST_CASE("tree lock: excludes and is excluded by python's fcntl.lockf, as certbot locks",
          "[store][lock][interop]") {
  if (!python_available()) {
    return;
  }
  TempTree tree;
  auto paths = tree.paths();
  fs::create_directories(paths.config_dir);
  auto config_lock = TreeLock::lock_file(paths.config_dir);
  {
    Python holder(k_python_holder, {config_lock.string()});
    REQUIRE(holder.read_line() == "locked");
    CHECK_THROWS_WITH(TreeLock::acquire(paths), held_message(config_lock));
    // The logs lock taken before the refusal was released.
    CHECK_FALSE(fs::exists(TreeLock::lock_file(paths.logs_dir)));
    CHECK(holder.finish() == 0);
  }
  {
    auto lock = TreeLock::acquire(paths);
    Python prober(k_python_prober, {config_lock.string()});
    CHECK(prober.finish() == 3);
  }
  Python prober(k_python_prober, {config_lock.string()});
  CHECK(prober.finish() == 0);
}

TEST_CASE("tree lock: excludes and is excluded by certbot's own lock module",
          "[store][lock][interop]") {
  if (!python_available()) {
    return;
  }
  TempTree tree;
  auto paths = tree.paths();
  fs::create_directories(paths.work_dir);
  {
    auto lock = TreeLock::acquire(paths);
    Python probe(k_certbot_locker, {paths.work_dir.string(), "probe"});
    int code = probe.finish();
    if (code == 5) {
      WARN("skipped: certbot is not importable by " << k_python);
      return;
    }
    CHECK(code == 3);
  }
  Python holder(k_certbot_locker, {paths.work_dir.string(), "hold"});
  REQUIRE(holder.read_line() == "locked");
  CHECK_THROWS_WITH(TreeLock::acquire(paths), held_message(TreeLock::lock_file(paths.work_dir)));
  CHECK(holder.finish() == 0);
  CHECK_NOTHROW(TreeLock::acquire(paths));
}

TEST_CASE("tree lock: a planted symlink or directory is never followed", "[store][lock]") {
  TempTree tree;
  auto paths = tree.paths();
  fs::create_directories(paths.logs_dir);
  auto elsewhere = tree.root() / "elsewhere";
  fs::create_symlink(elsewhere, TreeLock::lock_file(paths.logs_dir));
  CHECK_THROWS_WITH(
      TreeLock::acquire(paths),
      Catch::StartsWith(TreeLock::lock_file(paths.logs_dir).string() + ": cannot open lock file"));
  CHECK_FALSE(fs::exists(elsewhere));
  CHECK(fs::is_symlink(TreeLock::lock_file(paths.logs_dir)));

  fs::remove(TreeLock::lock_file(paths.logs_dir));
  fs::create_directories(TreeLock::lock_file(paths.logs_dir));
  CHECK_THROWS_WITH(
      TreeLock::acquire(paths),
      Catch::StartsWith(TreeLock::lock_file(paths.logs_dir).string() + ": cannot open lock file"));

  // A file where a directory should be.
  TempTree second;
  auto blocked = second.paths();
  spit(blocked.logs_dir, "not a directory");
  CHECK_THROWS_WITH(TreeLock::acquire(blocked),
                    blocked.logs_dir.string() + ": exists and is not a directory");
}
