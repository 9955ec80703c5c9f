#include "challenge/serve_solver.hpp"
#include "challenge/token_dir.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::challenge::default_token_dir;
using certsmith::challenge::Http01ServeSolver;
using certsmith::challenge::ServeHeartbeat;
using certsmith::challenge::Task;
using certsmith::challenge::TokenDir;
namespace fs = std::filesystem;

namespace {

const std::string k_token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const std::string k_key_authorization = k_token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "certsmith-tokens-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::string content_of(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("token dir defaults to WORK_DIR/http-01-tokens", "[challenge][serve]") {
  CHECK(default_token_dir("/var/lib/letsencrypt") == "/var/lib/letsencrypt/http-01-tokens");
}

TEST_CASE("token dir is created 0755 and holds 0644 files read back fresh", "[challenge][serve]") {
  TempDir temp;
  const mode_t old_umask = ::umask(077);
  const TokenDir tokens(temp.path() / "work" / "http-01-tokens");
  tokens.ensure_exists();
  tokens.write(k_token, k_key_authorization);
  ::umask(old_umask);
  CHECK(mode_of(tokens.path()) == 0755);
  CHECK(mode_of(tokens.path() / k_token) == 0644);
  CHECK(content_of(tokens.path() / k_token) == k_key_authorization);
  CHECK(tokens.read(k_token) == k_key_authorization);
  // Another writer (another renewal run) replaces it: read sees the new content.
  tokens.write(k_token, "other");
  CHECK(tokens.read(k_token) == "other");
  tokens.remove(k_token);
  CHECK_FALSE(tokens.read(k_token));
  CHECK_FALSE(fs::exists(tokens.path() / k_token));
  tokens.remove(k_token);             // missing: fine
  CHECK(fs::is_empty(tokens.path())); // no temp file left behind
}

TEST_CASE("token dir refuses hostile token names for writing and reading", "[challenge][serve]") {
  TempDir temp;
  const TokenDir tokens(temp.path());
  for (const std::string& hostile :
       std::vector<std::string>{"../evil", "a/b", ".hidden", "", "a b", "tok\nen", "..",
                                std::string(256, 'a'), std::string("a\0b", 3)}) {
    CAPTURE(hostile);
    CHECK_THROWS_WITH(tokens.write(hostile, "x"), Contains("not base64url"));
    CHECK_FALSE(tokens.read(hostile));
  }
  CHECK(fs::is_empty(temp.path()));
  // A file only an outsider could have put there under a non-token name is never served.
  std::ofstream(temp.path() / ".hidden") << "secret";
  CHECK_FALSE(tokens.read(".hidden"));
}

TEST_CASE("token dir never follows a symlink and serves only small regular files",
          "[challenge][serve]") {
  TempDir temp;
  const TokenDir tokens(temp.path() / "tokens");
  tokens.ensure_exists();
  std::ofstream(temp.path() / "secret") << "secret";
  fs::create_symlink(temp.path() / "secret", tokens.path() / "linked");
  CHECK_FALSE(tokens.read("linked"));
  REQUIRE(::mkfifo((tokens.path() / "fifo").c_str(), 0644) == 0);
  CHECK_FALSE(tokens.read("fifo")); // and does not hang
  fs::create_directory(tokens.path() / "subdir");
  CHECK_FALSE(tokens.read("subdir"));
  std::ofstream(tokens.path() / "big") << std::string(5000, 'x');
  CHECK_FALSE(tokens.read("big"));

  // Writing over a planted link replaces the link; its target is untouched.
  tokens.write("linked", "ka");
  CHECK_FALSE(fs::is_symlink(tokens.path() / "linked"));
  CHECK(content_of(tokens.path() / "linked") == "ka");
  CHECK(content_of(temp.path() / "secret") == "secret");
}

TEST_CASE("token dir refuses a path that is not a directory", "[challenge][serve]") {
  TempDir temp;
  std::ofstream(temp.path() / "file") << "x";
  CHECK_THROWS_WITH(TokenDir(temp.path() / "file").ensure_exists(), Contains("is not a directory"));
}

TEST_CASE("serve solver writes every token, then removes only its own", "[challenge][serve]") {
  TempDir temp;
  const TokenDir tokens(temp.path() / "tokens");
  Http01ServeSolver solver(tokens);
  const std::vector<Task> tasks = {{"a.example", "http-01", k_token, k_key_authorization},
                                   {"b.example", "http-01", "second_token-x", "second.ka"}};
  solver.perform(tasks);
  CHECK(tokens.read(k_token) == k_key_authorization);
  CHECK(tokens.read("second_token-x") == "second.ka");
  tokens.write("someone-elses", "theirs");
  solver.cleanup(tasks);
  CHECK_FALSE(tokens.read(k_token));
  CHECK_FALSE(tokens.read("second_token-x"));
  CHECK(tokens.read("someone-elses") == "theirs");
}

TEST_CASE("serve solver refuses a hostile task before writing anything", "[challenge][serve]") {
  TempDir temp;
  Http01ServeSolver solver(TokenDir(temp.path() / "tokens"));
  const std::vector<Task> hostile = {{"a.example", "http-01", k_token, k_key_authorization},
                                     {"b.example", "http-01", "../../etc/passwd", "x"}};
  CHECK_THROWS_WITH(solver.perform(hostile), Contains("not base64url"));
  CHECK_FALSE(fs::exists(temp.path() / "tokens"));
  const std::vector<Task> dns = {{"a.example", "dns-01", k_token, k_key_authorization}};
  CHECK_THROWS_AS(solver.perform(dns), ChallengeError);
}

// Review B 1: another user who creates the token directory first (or may write
// into it) could plant the token of their own order and have serve answer it.
TEST_CASE("token dir writable by another user is refused", "[challenge][serve]") {
  TempDir temp;
  const fs::path dir = temp.path() / "tokens";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  const TokenDir tokens(dir);

  SECTION("mode 0777") {
    REQUIRE(::chmod(dir.c_str(), 0777) == 0);
    CHECK_THROWS_WITH(tokens.ensure_exists(), Contains("refusing token directory") &&
                                                  Contains("mode 0777") && Contains("chmod go-w"));
  }
  SECTION("group-writable 0775") {
    REQUIRE(::chmod(dir.c_str(), 0775) == 0);
    CHECK_THROWS_WITH(tokens.ensure_exists(), Contains("mode 0775"));
  }
  SECTION("owned by another user") {
    if (::geteuid() != 0) {
      WARN("skipped: chown to another user needs root");
      return;
    }
    REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
    CHECK_THROWS_WITH(tokens.ensure_exists(), Contains("refusing token directory") &&
                                                  Contains("owned by uid 65534") &&
                                                  Contains("chown"));
  }
  // Whatever the entry point, nothing is written, read or served through it.
  CHECK_THROWS_AS(tokens.write(k_token, k_key_authorization), ChallengeError);
  CHECK_FALSE(fs::exists(dir / k_token));
  std::ofstream(dir / k_token) << "planted";
  CHECK_FALSE(tokens.read(k_token));
  Http01ServeSolver solver(tokens);
  const std::vector<Task> tasks = {{"a.example", "http-01", k_token, k_key_authorization}};
  CHECK_THROWS_AS(solver.perform(tasks), ChallengeError);
  CHECK(content_of(dir / k_token) == "planted");
}

TEST_CASE("token dir that is a symlink is refused, even to a good directory",
          "[challenge][serve]") {
  TempDir temp;
  const fs::path real = temp.path() / "real";
  REQUIRE(::mkdir(real.c_str(), 0755) == 0);
  fs::create_directory_symlink(real, temp.path() / "tokens");
  const TokenDir tokens(temp.path() / "tokens");
  CHECK_THROWS_WITH(tokens.ensure_exists(),
                    Contains("refusing token directory") && Contains("symlink"));
  CHECK_THROWS_AS(tokens.write(k_token, k_key_authorization), ChallengeError);
  CHECK(fs::is_empty(real));
  std::ofstream(real / k_token) << "planted";
  CHECK_FALSE(tokens.read(k_token));
}

TEST_CASE("token dir owned by us 0755 (or root-owned, for root) is accepted",
          "[challenge][serve]") {
  TempDir temp;
  const fs::path dir = temp.path() / "tokens";
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  const TokenDir tokens(dir);
  tokens.ensure_exists(); // 0700 is ours and writable by no one else: fine, left as it is
  CHECK(mode_of(dir) == 0700);
  REQUIRE(::chmod(dir.c_str(), 01755) == 0);
  tokens.ensure_exists();
  tokens.write(k_token, k_key_authorization);
  CHECK(mode_of(dir / k_token) == 0644);
}

TEST_CASE("token file planted as a symlink is replaced, not written through",
          "[challenge][serve]") {
  TempDir temp;
  const TokenDir tokens(temp.path() / "tokens");
  tokens.ensure_exists();
  std::ofstream(temp.path() / "victim") << "keep";
  fs::create_symlink(temp.path() / "victim", tokens.path() / k_token);
  CHECK_FALSE(tokens.read(k_token));
  Http01ServeSolver solver(tokens);
  const std::vector<Task> tasks = {{"a.example", "http-01", k_token, k_key_authorization}};
  solver.perform(tasks);
  CHECK_FALSE(fs::is_symlink(tokens.path() / k_token));
  CHECK(tokens.read(k_token) == k_key_authorization);
  CHECK(content_of(temp.path() / "victim") == "keep");
  solver.cleanup(tasks);
  CHECK(content_of(temp.path() / "victim") == "keep");
}

// Review B, part 4: -a serve warns when no running serve reads the directory.
TEST_CASE("token dir heartbeat says whether a live serve reads it", "[challenge][serve]") {
  TempDir temp;
  const TokenDir tokens(temp.path() / "tokens");
  tokens.ensure_exists();
  CHECK_FALSE(tokens.served_by_live_process()); // no .serve.pid
  {
    const ServeHeartbeat heartbeat(tokens);
    CHECK(content_of(tokens.path() / ".serve.pid") == std::to_string(::getpid()) + "\n");
    CHECK(mode_of(tokens.path() / ".serve.pid") == 0644);
    CHECK(tokens.served_by_live_process());
    CHECK_FALSE(tokens.read(".serve.pid")); // never answered as a token
  }
  CHECK_FALSE(fs::exists(tokens.path() / ".serve.pid")); // removed on a clean stop

  // Stale: a pid no process has (a child that has exited and been reaped).
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0)
    ::_exit(0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  std::ofstream(tokens.path() / ".serve.pid") << child << "\n";
  CHECK_FALSE(tokens.served_by_live_process());
  // Hostile contents: garbage, pid 0/-1 (kill would signal a group), huge, symlink, FIFO.
  for (const std::string& hostile : {std::string("garbage"), std::string("0"), std::string("-1"),
                                     std::string("99999999999999999999"), std::string(5000, '1')}) {
    CAPTURE(hostile);
    std::ofstream(tokens.path() / ".serve.pid", std::ios::trunc) << hostile;
    CHECK_FALSE(tokens.served_by_live_process());
  }
  fs::remove(tokens.path() / ".serve.pid");
  std::ofstream(temp.path() / "mine") << ::getpid();
  fs::create_symlink(temp.path() / "mine", tokens.path() / ".serve.pid");
  CHECK_FALSE(tokens.served_by_live_process());
  fs::remove(tokens.path() / ".serve.pid");
  REQUIRE(::mkfifo((tokens.path() / ".serve.pid").c_str(), 0644) == 0);
  CHECK_FALSE(tokens.served_by_live_process()); // and does not hang
}
