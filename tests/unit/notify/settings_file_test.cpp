#include "notify/settings_file.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith;
using namespace certsmith::notify;

namespace {
struct Tree {
  std::filesystem::path root;
  store::TreePaths paths;
  Tree() {
    char pattern[] = "/tmp/notify-file-XXXXXX";
    root = ::mkdtemp(pattern);
    paths = store::TreePaths::under(root);
  }
  ~Tree() { std::filesystem::remove_all(root); }
};

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}
} // namespace

TEST_CASE("notify file: a webhook URL is saved 0600 in a 0700 directory, not in the renewal conf") {
  Tree tree;
  NotifySettings flags;
  flags.webhook = "https://hooks.example.com/services/T000/B000/SECRET";
  flags.ca_bundle = "relative/ca.pem";
  save_lineage_settings(tree.paths, "a.example", flags);
  auto file = settings_file(tree.paths, "a.example");
  CHECK(mode_of(file) == 0600);
  CHECK(mode_of(settings_dir(tree.paths)) == 0700);
  CHECK_FALSE(std::filesystem::exists(tree.paths.renewal_conf("a.example")));
  auto loaded = load_lineage_settings(tree.paths, "a.example");
  CHECK(loaded.webhook == flags.webhook);
  CHECK(std::filesystem::path(loaded.ca_bundle).is_absolute());
}

TEST_CASE("notify file: later flags are laid over the saved ones, --no-notify removes them") {
  Tree tree;
  NotifySettings first;
  first.smtp_url = "smtp://127.0.0.1:25";
  first.emails = {"ops@example.com"};
  save_lineage_settings(tree.paths, "a", first);
  NotifySettings second;
  second.emails = {"dev@example.com"};
  save_lineage_settings(tree.paths, "a", second);
  auto loaded = load_lineage_settings(tree.paths, "a");
  CHECK(loaded.smtp_url == "smtp://127.0.0.1:25");
  CHECK(loaded.emails == std::vector<std::string>{"dev@example.com"});
  clear_lineage_settings(tree.paths, "a");
  CHECK(load_lineage_settings(tree.paths, "a") == NotifySettings{});
  CHECK_NOTHROW(clear_lineage_settings(tree.paths, "a"));
}

TEST_CASE("notify file: one others can access, or not a regular file, is refused") {
  Tree tree;
  NotifySettings flags;
  flags.webhook = "https://hooks.example.com/x";
  save_lineage_settings(tree.paths, "a", flags);
  auto file = settings_file(tree.paths, "a");
  ::chmod(file.c_str(), 0644);
  CHECK_THROWS_AS(load_lineage_settings(tree.paths, "a"), StorageError);
  std::filesystem::remove(file);
  std::filesystem::create_symlink("/etc/passwd", file);
  CHECK_THROWS_AS(load_lineage_settings(tree.paths, "a"), StorageError);
  std::filesystem::remove(file);
  std::ofstream(file) << std::string(100 * 1024, 'x');
  ::chmod(file.c_str(), 0600);
  CHECK_THROWS(load_lineage_settings(tree.paths, "a"));
}

TEST_CASE("notify file: a lineage name that is not one path component is refused") {
  Tree tree;
  NotifySettings flags;
  flags.webhook = "https://hooks.example.com/x";
  for (std::string name : {"../x", "a/b", "", "..", ".hidden", "a\nb"}) {
    INFO(name);
    CHECK_THROWS_AS(save_lineage_settings(tree.paths, name, flags), UsageError);
    CHECK_THROWS_AS(load_lineage_settings(tree.paths, name), UsageError);
  }
  CHECK_FALSE(std::filesystem::exists(tree.root / "x.conf"));
}

TEST_CASE("notify file: files of deleted lineages are pruned") {
  Tree tree;
  NotifySettings flags;
  flags.webhook = "https://hooks.example.com/x";
  save_lineage_settings(tree.paths, "a", flags);
  save_lineage_settings(tree.paths, "b", flags);
  prune_lineage_settings(tree.paths, {"b"});
  CHECK_FALSE(std::filesystem::exists(settings_file(tree.paths, "a")));
  CHECK(std::filesystem::exists(settings_file(tree.paths, "b")));
}
