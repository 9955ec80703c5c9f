#include "challenge/http01_webroot.hpp"
#include "util/error.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using Catch::Matchers::Contains;
using certsmith::ChallengeError;
using certsmith::challenge::Http01WebrootSolver;
using certsmith::challenge::Task;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "certsmith-webroot-XXXXXX").string();
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

// Every entry under root (links not followed) with its type, mode and content.
std::set<std::string> snapshot(const fs::path& root) {
  std::set<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const auto status = entry.symlink_status();
    std::ostringstream line;
    line << fs::relative(entry.path(), root).string() << ' ' << static_cast<int>(status.type())
         << ' ' << static_cast<int>(status.permissions());
    if (status.type() == fs::file_type::regular) {
      std::ifstream in(entry.path());
      line << ' ' << in.rdbuf();
    }
    entries.insert(line.str());
  }
  return entries;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

fs::perms mode_of(const fs::path& path) {
  return fs::symlink_status(path).permissions();
}

Task task_for(const std::string& domain, const std::string& token) {
  return Task{domain, "http-01", token, token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"};
}

const fs::perms k_0644 =
    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
const fs::perms k_0755 = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                         fs::perms::others_read | fs::perms::others_exec;

class Umask {
public:
  explicit Umask(mode_t mask) : m_saved(::umask(mask)) {}
  ~Umask() { ::umask(m_saved); }

private:
  mode_t m_saved;
};

} // namespace

TEST_CASE("webroot solver writes the key authorization where the CA will look", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  fs::create_directory(webroot);
  Umask strict(077); // the web server must still read what we write
  Http01WebrootSolver solver({{"example.com", webroot}});
  CHECK(solver.type() == "http-01");
  const Task task = task_for("example.com", "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
  solver.perform({task});

  const fs::path file = webroot / ".well-known" / "acme-challenge" / task.token;
  REQUIRE(fs::is_regular_file(fs::symlink_status(file)));
  CHECK(read(file) == task.key_authorization);
  CHECK(mode_of(file) == k_0644);
  CHECK(mode_of(webroot / ".well-known") == k_0755);
  CHECK(mode_of(webroot / ".well-known" / "acme-challenge") == k_0755);
  // no temp file left beside it
  CHECK(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()) == 1);

  solver.cleanup({task});
  CHECK_FALSE(fs::exists(webroot / ".well-known"));
  CHECK(fs::is_directory(webroot));
}

TEST_CASE("webroot cleanup keeps directories it did not create", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  fs::create_directories(webroot / ".well-known");
  std::ofstream(webroot / ".well-known" / "security.txt") << "Contact: mailto:admin@example.com\n";
  const auto before = snapshot(temp.path());

  Http01WebrootSolver solver({{"example.com", webroot}, {"www.example.com", webroot}});
  const std::vector<Task> tasks{task_for("example.com", "tokenOne"),
                                task_for("www.example.com", "tokenTwo")};
  solver.perform(tasks);
  CHECK(fs::exists(webroot / ".well-known" / "acme-challenge" / "tokenOne"));
  CHECK(fs::exists(webroot / ".well-known" / "acme-challenge" / "tokenTwo"));

  solver.cleanup({tasks[0]}); // acme-challenge still holds tokenTwo: it stays for now
  CHECK(fs::exists(webroot / ".well-known" / "acme-challenge" / "tokenTwo"));
  solver.cleanup({tasks[1]});
  CHECK(snapshot(temp.path()) == before);
}

TEST_CASE("webroot solver refuses hostile tokens and writes nothing anywhere", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "site" / "www";
  fs::create_directories(webroot);
  std::ofstream(temp.path() / "passwd") << "root:x:0:0\n";
  const auto before = snapshot(temp.path());
  Http01WebrootSolver solver({{"example.com", webroot}});
  for (const std::string& hostile :
       std::vector<std::string>{"../../etc/passwd", "../../passwd", "..", "a/b", "", ".hidden",
                                "tok\nen", "tok en", std::string("tok\0en", 6)}) {
    CAPTURE(hostile);
    CHECK_THROWS_AS(
        solver.perform({task_for("example.com", "goodToken"), task_for("example.com", hostile)}),
        ChallengeError);
    CHECK(snapshot(temp.path()) == before);
    solver.cleanup({task_for("example.com", hostile)});
    CHECK(snapshot(temp.path()) == before);
  }
  CHECK_THROWS_WITH(solver.perform({task_for("example.com", "a\x1b[2J")}), !Contains("\x1b"));
}

TEST_CASE("webroot solver refuses an identifier without a webroot before writing", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  fs::create_directory(webroot);
  const auto before = snapshot(temp.path());
  Http01WebrootSolver solver({{"example.com", webroot}});
  CHECK_THROWS_WITH(solver.perform({task_for("example.com", "tokenOne"),
                                    task_for("other.example.net", "tokenTwo")}),
                    Contains("no webroot for other.example.net"));
  CHECK(snapshot(temp.path()) == before);

  Http01WebrootSolver missing({{"example.com", temp.path() / "does-not-exist"}});
  CHECK_THROWS_WITH(missing.perform({task_for("example.com", "tokenOne")}),
                    Contains("example.com") && Contains("does-not-exist"));
  CHECK(snapshot(temp.path()) == before);
}

TEST_CASE("webroot solver replaces a planted symlink instead of following it", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  const fs::path challenge_dir = webroot / ".well-known" / "acme-challenge";
  fs::create_directories(challenge_dir);
  const fs::path victim = temp.path() / "victim";
  std::ofstream(victim) << "precious\n";
  fs::create_symlink(victim, challenge_dir / "plantedToken");

  Http01WebrootSolver solver({{"example.com", webroot}});
  solver.perform({task_for("example.com", "plantedToken")});
  CHECK(read(victim) == "precious\n");
  CHECK(fs::is_regular_file(fs::symlink_status(challenge_dir / "plantedToken")));
  solver.cleanup({task_for("example.com", "plantedToken")});
  CHECK(read(victim) == "precious\n");
  CHECK_FALSE(fs::exists(fs::symlink_status(challenge_dir / "plantedToken")));
  CHECK(fs::is_directory(challenge_dir)); // pre-existing: kept
}

TEST_CASE("webroot solver follows a symlinked challenge directory only when we own the link",
          "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  const fs::path shared = temp.path() / "shared-challenges";
  fs::create_directories(webroot / ".well-known");
  fs::create_directory(shared);
  fs::create_directory_symlink(shared, webroot / ".well-known" / "acme-challenge");

  Http01WebrootSolver solver({{"example.com", webroot}});
  solver.perform({task_for("example.com", "sharedToken")});
  CHECK(fs::exists(shared / "sharedToken"));
  solver.cleanup({task_for("example.com", "sharedToken")});
  CHECK_FALSE(fs::exists(shared / "sharedToken"));
  CHECK(fs::is_symlink(webroot / ".well-known" / "acme-challenge"));

  if (::geteuid() != 0) {
    WARN("not root: cannot plant a symlink owned by another user; skipping that half");
    return;
  }
  // As if the site's own user (not root) had planted it to steer root's writes.
  REQUIRE(::lchown((webroot / ".well-known" / "acme-challenge").c_str(), 65534, 65534) == 0);
  const auto before = snapshot(temp.path());
  CHECK_THROWS_WITH(solver.perform({task_for("example.com", "sharedToken")}),
                    Contains("symlink owned by another user"));
  CHECK(snapshot(temp.path()) == before);
}

TEST_CASE("webroot cleanup removes only files this solver wrote", "[challenge]") {
  TempDir temp;
  const fs::path webroot = temp.path() / "www";
  const fs::path challenge_dir = webroot / ".well-known" / "acme-challenge";
  fs::create_directories(challenge_dir);
  std::ofstream(challenge_dir / "someoneElses") << "theirs";
  Http01WebrootSolver solver({{"example.com", webroot}});
  solver.cleanup({task_for("example.com", "someoneElses")});
  CHECK(read(challenge_dir / "someoneElses") == "theirs");
}

TEST_CASE("parallel lineages sharing a webroot never remove each other's challenge directory",
          "[challenge]") {
  TempDir webroot;
  constexpr int k_rounds = 300;
  std::atomic<int> failures{0};
  auto lineage = [&](const std::string& domain, const std::string& token) {
    Http01WebrootSolver solver({{domain, webroot.path()}});
    std::vector<Task> tasks{{domain, "http-01", token, token + ".thumb"}};
    for (int i = 0; i < k_rounds; ++i) {
      try {
        solver.perform(tasks);
      } catch (const ChallengeError&) {
        ++failures;
      }
      solver.cleanup(tasks);
    }
  };
  std::thread first(lineage, "a.example.com", "tokenA");
  std::thread second(lineage, "b.example.com", "tokenB");
  first.join();
  second.join();
  CHECK(failures == 0);
}
