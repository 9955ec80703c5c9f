#include "hooks/hook_directory.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using certsmith::hooks::command_names_file;
using certsmith::hooks::list_directory_hooks;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = fs::temp_directory_path() / "certsmith-hookdir-XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_file(const fs::path& path, fs::perms perms) {
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  fs::permissions(path, perms);
}

constexpr auto k_exec = fs::perms::owner_all;
constexpr auto k_plain = fs::perms::owner_read | fs::perms::owner_write;

} // namespace

TEST_CASE("hook directory: executables in byte order, backups and non-executables skipped") {
  TempDir dir;
  write_file(dir.path / "20-reload", k_exec);
  write_file(dir.path / "10-stop", k_exec);
  write_file(dir.path / "B-upper", k_exec);
  write_file(dir.path / "a-lower", k_exec);
  write_file(dir.path / "10-stop~", k_exec);
  write_file(dir.path / "README", k_plain);
  fs::create_directory(dir.path / "30-subdir");
  fs::permissions(dir.path / "30-subdir", k_exec);
  write_file(dir.path / "target", k_plain);
  write_file(dir.path / "exec-target~", k_exec);
  fs::create_symlink(dir.path / "exec-target~", dir.path / "40-link");
  fs::create_symlink(dir.path / "nowhere", dir.path / "50-dangling");
  write_file(dir.path / "name with spaces; $(id)", k_exec);

  auto hooks = list_directory_hooks(dir.path);
  std::vector<fs::path> expected = {dir.path / "10-stop", dir.path / "20-reload",
                                    dir.path / "40-link", dir.path / "B-upper",
                                    dir.path / "a-lower", dir.path / "name with spaces; $(id)"};
  CHECK(hooks == expected);
}

TEST_CASE("hook directory: a missing directory has no hooks, an unreadable one throws") {
  TempDir dir;
  CHECK(list_directory_hooks(dir.path / "missing").empty());
  write_file(dir.path / "not-a-dir", k_exec);
  CHECK_THROWS_AS(list_directory_hooks(dir.path / "not-a-dir"), certsmith::StorageError);
}

TEST_CASE("hook directory: a relative directory yields absolute paths") {
  TempDir dir;
  fs::create_directory(dir.path / "pre");
  write_file(dir.path / "pre" / "hook", k_exec);
  auto previous = fs::current_path();
  fs::current_path(dir.path);
  auto hooks = list_directory_hooks("pre");
  fs::current_path(previous);
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].is_absolute());
  CHECK(fs::equivalent(hooks[0], dir.path / "pre" / "hook"));
}

TEST_CASE("hook directory: which commands name a directory hook") {
  TempDir dir;
  auto hook = dir.path / "pre" / "stop-nginx";
  fs::create_directory(dir.path / "pre");
  write_file(hook, k_exec);

  CHECK(command_names_file(hook.string(), hook));
  CHECK(command_names_file("  " + hook.string() + "\n", hook));
  CHECK(command_names_file((dir.path / "pre" / ".." / "pre" / "stop-nginx").string(), hook));
  CHECK(command_names_file((dir.path / "pre//stop-nginx").string(), hook));

  CHECK_FALSE(command_names_file(hook.string() + " --now", hook));
  CHECK_FALSE(command_names_file("'" + hook.string() + "'", hook));
  CHECK_FALSE(command_names_file(hook.string() + ";id", hook));
  CHECK_FALSE(command_names_file("stop-nginx", hook));
  CHECK_FALSE(command_names_file((dir.path / "pre" / "other").string(), hook));
  CHECK_FALSE(command_names_file("", hook));
}
