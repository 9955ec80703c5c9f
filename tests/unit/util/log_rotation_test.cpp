#include "util/log.hpp"
#include "util/log_rotation.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith::util;
namespace fs = std::filesystem;

namespace {

struct LogDir {
  fs::path root;
  int fd = -1;
  LogDir() {
    std::string pattern = (fs::temp_directory_path() / "log-rotation-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root = pattern;
    fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
  }
  ~LogDir() {
    close_log_file();
    ::close(fd);
    fs::remove_all(root);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(root / name) << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(root / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& entry : fs::directory_iterator(root))
      out.insert(entry.path().filename().string());
    return out;
  }
};

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

} // namespace

TEST_CASE("log rotation: each run shifts the files and keeps max_backups of them", "[log]") {
  LogDir dir;
  dir.write("letsencrypt.log", "run 1\n");
  for (int run = 2; run <= 4; ++run) {
    auto rotation = rotate_log_files(dir.fd, "letsencrypt.log", 2);
    CHECK(rotation.rotated);
    CHECK(rotation.warnings.empty());
    dir.write("letsencrypt.log", "run " + std::to_string(run) + "\n");
  }
  CHECK(dir.names() ==
        std::set<std::string>{"letsencrypt.log", "letsencrypt.log.1", "letsencrypt.log.2"});
  CHECK(dir.read("letsencrypt.log") == "run 4\n");
  CHECK(dir.read("letsencrypt.log.1") == "run 3\n");
  CHECK(dir.read("letsencrypt.log.2") == "run 2\n");
}

TEST_CASE("log rotation: 0 backups moves nothing", "[log]") {
  LogDir dir;
  dir.write("letsencrypt.log", "old\n");
  dir.write("letsencrypt.log.1", "older\n");
  auto rotation = rotate_log_files(dir.fd, "letsencrypt.log", 0);
  CHECK_FALSE(rotation.rotated);
  CHECK(dir.read("letsencrypt.log") == "old\n");
  CHECK(dir.read("letsencrypt.log.1") == "older\n");
}

TEST_CASE("log rotation: gaps are fine and files past the limit are left alone", "[log]") {
  LogDir dir;
  dir.write("letsencrypt.log", "0\n");
  dir.write("letsencrypt.log.2", "2\n");
  dir.write("letsencrypt.log.7", "7\n"); // from a run with more backups
  rotate_log_files(dir.fd, "letsencrypt.log", 3);
  CHECK(dir.names() ==
        std::set<std::string>{"letsencrypt.log.1", "letsencrypt.log.3", "letsencrypt.log.7"});
  CHECK(dir.read("letsencrypt.log.1") == "0\n");
  CHECK(dir.read("letsencrypt.log.3") == "2\n");
}

TEST_CASE("log rotation: symlinks are moved as links, never followed", "[log]") {
  LogDir dir;
  LogDir outside;
  outside.write("target", "precious\n");
  REQUIRE(::symlink((outside.root / "target").c_str(), (dir.root / "letsencrypt.log").c_str()) ==
          0);
  REQUIRE(::symlink((outside.root / "other").c_str(), (dir.root / "letsencrypt.log.1").c_str()) ==
          0);
  rotate_log_files(dir.fd, "letsencrypt.log", 2);
  CHECK(fs::is_symlink(dir.root / "letsencrypt.log.1"));
  CHECK(fs::is_symlink(dir.root / "letsencrypt.log.2"));
  CHECK(outside.read("target") == "precious\n");
  CHECK_FALSE(fs::exists(outside.root / "other"));
}

TEST_CASE("log rotation: a directory in the way is a warning, not a failure", "[log]") {
  LogDir dir;
  fs::create_directory(dir.root / "letsencrypt.log.1");
  dir.write("letsencrypt.log", "current\n");
  auto rotation = rotate_log_files(dir.fd, "letsencrypt.log", 2);
  CHECK(rotation.warnings.size() == 2); // .1 is not a file; the log cannot replace it
  CHECK(dir.read("letsencrypt.log") == "current\n");
}

TEST_CASE("log rotation: skipped while another process holds the logs dir lock", "[log]") {
  LogDir dir;
  dir.write("letsencrypt.log", "certbot's current run\n");
  int holder = ::open((dir.root / ".certbot.lock").c_str(), O_WRONLY | O_CREAT, 0600);
  REQUIRE(holder >= 0);
  struct flock request {};
  request.l_type = F_WRLCK;
  request.l_whence = SEEK_SET;
  REQUIRE(::fcntl(holder, F_OFD_SETLK, &request) == 0);
  auto rotation = rotate_log_files_locked(dir.fd, "letsencrypt.log", 5);
  CHECK_FALSE(rotation.rotated);
  CHECK(rotation.warnings.empty());
  CHECK(dir.names() == std::set<std::string>{".certbot.lock", "letsencrypt.log"});
  ::close(holder);

  // Free: rotated, and the lock file removed again as certbot removes it.
  rotation = rotate_log_files_locked(dir.fd, "letsencrypt.log", 5);
  CHECK(rotation.rotated);
  CHECK(dir.names() == std::set<std::string>{"letsencrypt.log.1"});
}

TEST_CASE("open_log_file: letsencrypt.log 0600 in a 0700 dir, rotated per run", "[log]") {
  LogDir dir;
  auto logs = dir.root / "logs" / "nested";
  auto path = logs / "letsencrypt.log";
  for (int run = 1; run <= 3; ++run) {
    open_log_file(path, 2);
    log_message(LogLevel::debug, "run " + std::to_string(run));
    close_log_file();
  }
  CHECK(mode_of(logs) == 0700);
  CHECK(mode_of(dir.root / "logs") == 0700);
  CHECK(mode_of(path) == 0600);
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(logs))
    names.insert(entry.path().filename().string());
  CHECK(names ==
        std::set<std::string>{"letsencrypt.log", "letsencrypt.log.1", "letsencrypt.log.2"});
  std::ifstream current(path);
  std::string line;
  std::getline(current, line);
  CHECK_THAT(line, Catch::Matchers::EndsWith("DEBUG run 3"));
}

TEST_CASE("open_log_file: with 0 backups one file grows", "[log]") {
  LogDir dir;
  auto path = dir.root / "letsencrypt.log";
  for (int run = 1; run <= 3; ++run) {
    open_log_file(path, 0);
    log_message(LogLevel::debug, "run " + std::to_string(run));
    close_log_file();
  }
  CHECK(dir.names() == std::set<std::string>{"letsencrypt.log"});
  auto text = dir.read("letsencrypt.log");
  CHECK(text.find("run 1") < text.find("run 2"));
  CHECK(text.find("run 2") < text.find("run 3"));
}

TEST_CASE("open_log_file: refuses a symlinked log when it does not rotate", "[log]") {
  LogDir dir;
  LogDir outside;
  REQUIRE(::symlink((outside.root / "x").c_str(), (dir.root / "letsencrypt.log").c_str()) == 0);
  CHECK_THROWS_WITH(open_log_file(dir.root / "letsencrypt.log", 0),
                    Catch::Matchers::StartsWith("cannot open log file"));
  CHECK_FALSE(fs::exists(outside.root / "x"));
  // Rotating moves the link aside and starts a real file.
  open_log_file(dir.root / "letsencrypt.log", 1);
  close_log_file();
  CHECK(fs::is_symlink(dir.root / "letsencrypt.log.1"));
  CHECK(fs::is_regular_file(fs::symlink_status(dir.root / "letsencrypt.log")));
  CHECK_FALSE(fs::exists(outside.root / "x"));
}

TEST_CASE("open_log_file: a log about to pass 1 MiB rolls over mid-run", "[log]") {
  LogDir dir;
  auto path = dir.root / "letsencrypt.log";
  open_log_file(path, 2);
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 20; ++i) // 1.25 MiB in all
    log_message(LogLevel::debug, chunk);
  close_log_file();
  CHECK(fs::file_size(path) < k_log_rotate_bytes);
  CHECK(fs::file_size(dir.root / "letsencrypt.log.1") < k_log_rotate_bytes);
  CHECK(fs::file_size(path) + fs::file_size(dir.root / "letsencrypt.log.1") > 20 * chunk.size());
}

TEST_CASE("open_log_file: a mid-run rollover that fails is not retried on every record", "[log]") {
  LogDir dir;
  auto path = dir.root / "letsencrypt.log";
  open_log_file(path, 2);
  // A directory where the log would move: the rollover cannot happen this run.
  fs::create_directory(dir.root / "letsencrypt.log.1");
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 20; ++i) // past 1 MiB
    log_message(LogLevel::debug, chunk);
  for (int i = 0; i < 300; ++i) // each of these used to try, and warn, again
    log_message(LogLevel::debug, "later record " + std::to_string(i));
  close_log_file();
  std::istringstream text(dir.read("letsencrypt.log"));
  int rotation_warnings = 0;
  int later = 0;
  for (std::string line; std::getline(text, line);) {
    rotation_warnings += line.find("WARNING log rotation") != std::string::npos ? 1 : 0;
    later += line.find("later record") != std::string::npos ? 1 : 0;
  }
  CHECK(rotation_warnings == 3); // .1 is not a file; the log cannot replace it; rotation stopped
  CHECK(later == 300);
  CHECK(fs::file_size(path) > k_log_rotate_bytes);
  CHECK(fs::is_directory(dir.root / "letsencrypt.log.1"));

  // The next run tries again (and here fails again at its start, with warnings).
  fs::remove(dir.root / "letsencrypt.log.1");
  open_log_file(path, 2);
  close_log_file();
  CHECK(fs::file_size(dir.root / "letsencrypt.log.1") > k_log_rotate_bytes);
}

TEST_CASE("keep_early_records: what is logged before the log opens is written first in it",
          "[log]") {
  LogDir dir;
  auto path = dir.root / "letsencrypt.log";
  log_message(LogLevel::debug, "not kept: before keep_early_records");
  keep_early_records();
  log_message(LogLevel::debug, "early one");
  log_message(LogLevel::debug, "early two");
  open_log_file(path, 0);
  log_message(LogLevel::debug, "after");
  close_log_file();
  log_message(LogLevel::debug, "not kept: keeping ended when the log opened");
  open_log_file(path, 0);
  close_log_file();
  auto text = dir.read("letsencrypt.log");
  CHECK(text.find("not kept") == std::string::npos);
  REQUIRE(text.find("early one") != std::string::npos);
  CHECK(text.find("early one") < text.find("early two"));
  CHECK(text.find("early two") < text.find("after"));

  // Bounded: a flood before the log opens keeps the first k_max_early_records.
  keep_early_records();
  for (std::size_t i = 0; i < k_max_early_records + 50; ++i)
    log_message(LogLevel::debug, "flood");
  open_log_file(dir.root / "second.log", 0);
  close_log_file();
  std::istringstream second(dir.read("second.log"));
  std::size_t lines = 0;
  for (std::string line; std::getline(second, line);)
    ++lines;
  CHECK(lines == k_max_early_records);
}
