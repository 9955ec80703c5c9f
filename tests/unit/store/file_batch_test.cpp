#include "store/fault_injection.hpp"
#include "store/file_batch.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

using certsmith::StorageError;
using namespace certsmith::store;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

// Every name in `dir` (not recursive), sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct FailAt {
  explicit FailAt(std::string step) {
    testing::set_fault_hook([step](std::string_view at) {
      if (at == step) {
        throw StorageError("injected failure at " + step);
      }
    });
  }
  ~FailAt() { testing::set_fault_hook(nullptr); }
};

} // namespace

TEST_CASE("file batch: writes every file with its mode and leaves no temp file", "[store][batch]") {
  TempTree tree;
  fs::create_directories(tree.root() / "a");
  fs::create_directories(tree.root() / "b");
  spit(tree.root() / "a" / "old", "previous");
  write_files_atomic({{tree.root() / "a" / "key.pem", "secret", 0600, std::nullopt},
                      {tree.root() / "a" / "old", "replaced", 0644, std::nullopt},
                      {tree.root() / "b" / "other", "elsewhere", 0640, std::nullopt}});
  CHECK(slurp(tree.root() / "a" / "key.pem") == "secret");
  CHECK(mode_of(tree.root() / "a" / "key.pem") == 0600);
  CHECK(slurp(tree.root() / "a" / "old") == "replaced");
  CHECK(mode_of(tree.root() / "a" / "old") == 0644);
  CHECK(mode_of(tree.root() / "b" / "other") == 0640);
  CHECK(names_in(tree.root() / "a") == std::vector<std::string>{"key.pem", "old"});
  CHECK(names_in(tree.root() / "b") == std::vector<std::string>{"other"});
}

TEST_CASE("file batch: a failure after syncing leaves no temp file and no target",
          "[store][batch]") {
  TempTree tree;
  spit(tree.root() / "existing", "untouched");
  {
    FailAt fail("batch:before-rename");
    CHECK_THROWS_WITH(write_files_atomic({{tree.root() / "new1", "one", 0644, std::nullopt},
                                          {tree.root() / "existing", "two", 0644, std::nullopt},
                                          {tree.root() / "new3", "three", 0600, std::nullopt}}),
                      "injected failure at batch:before-rename");
  }
  CHECK(names_in(tree.root()) == std::vector<std::string>{"existing"});
  CHECK(slurp(tree.root() / "existing") == "untouched");
}

TEST_CASE("file batch: a file that cannot be staged removes the temp files before it",
          "[store][batch]") {
  TempTree tree;
  auto missing = tree.root() / "no-such-dir" / "f";
  CHECK_THROWS_WITH(write_files_atomic({{tree.root() / "first", "1", 0644, std::nullopt},
                                        {missing, "2", 0644, std::nullopt}}),
                    Catch::StartsWith(missing.string() + ": cannot create"));
  CHECK(names_in(tree.root()).empty());
}

TEST_CASE("file batch: a rename that fails keeps the files before it and removes the rest",
          "[store][batch]") {
  TempTree tree;
  // A non-empty directory cannot be replaced by a file.
  fs::create_directories(tree.root() / "blocked" / "inside");
  CHECK_THROWS_WITH(write_files_atomic({{tree.root() / "first", "1", 0644, std::nullopt},
                                        {tree.root() / "blocked", "2", 0644, std::nullopt},
                                        {tree.root() / "third", "3", 0644, std::nullopt}}),
                    Catch::StartsWith((tree.root() / "blocked").string() + ": cannot replace"));
  CHECK(names_in(tree.root()) == std::vector<std::string>{"blocked", "first"});
  CHECK(slurp(tree.root() / "first") == "1");
}

TEST_CASE("file batch: publish goes directory by directory; unpublished files are dropped",
          "[store][batch]") {
  TempTree tree;
  fs::create_directories(tree.root() / "a");
  fs::create_directories(tree.root() / "b");
  fs::create_directories(tree.root() / "c");
  {
    FileBatch batch;
    batch.stage(tree.root() / "a" / "x", "x", 0644);
    batch.stage(tree.root() / "b" / "y", "y", 0644);
    batch.stage(tree.root() / "c" / "z", "z", 0644);
    batch.sync();
    // Paths name the same directory however they are spelled.
    batch.publish({tree.root() / "b" / "." / ""});
    CHECK(names_in(tree.root() / "a").size() == 1); // still only the temp file
    CHECK(names_in(tree.root() / "a").front().front() == '.');
    CHECK(names_in(tree.root() / "b") == std::vector<std::string>{"y"});
    batch.publish({tree.root() / "a"});
    CHECK(names_in(tree.root() / "a") == std::vector<std::string>{"x"});
    // A directory without staged files is only synced.
    batch.publish({tree.root() / "a"});
    CHECK_THROWS_WITH(batch.publish({tree.root() / "missing"}),
                      Catch::StartsWith((tree.root() / "missing").string()));
  }
  CHECK(slurp(tree.root() / "a" / "x") == "x");
  CHECK(names_in(tree.root() / "c").empty());
}

TEST_CASE("file batch: a staged symlink target is replaced as a link, never followed",
          "[store][batch]") {
  TempTree tree;
  spit(tree.root() / "target", "original");
  fs::create_symlink(tree.root() / "target", tree.root() / "link");
  write_files_atomic({{tree.root() / "link", "new", 0644, std::nullopt}});
  CHECK(slurp(tree.root() / "target") == "original");
  CHECK_FALSE(fs::is_symlink(tree.root() / "link"));
}
