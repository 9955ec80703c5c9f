#include "challenge/serve_solver.hpp"
#include "challenge/token_dir.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::challenge::default_token_dir;
using certsmith::challenge::Http01ServeSolver;
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
