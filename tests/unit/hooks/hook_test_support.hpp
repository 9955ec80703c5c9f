#pragma once
// A temporary config dir with renewal-hooks/{pre,deploy,post}/ for hook tests.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace certsmith::testing {

struct HookTree {
  std::filesystem::path root;
  HookTree() {
    std::string pattern = std::filesystem::temp_directory_path() / "certsmith-hooks-XXXXXX";
    root = ::mkdtemp(pattern.data());
    for (const char* stage : {"pre", "deploy", "post"})
      std::filesystem::create_directories(hooks_dir() / stage);
  }
  ~HookTree() { std::filesystem::remove_all(root); }
  HookTree(const HookTree&) = delete;
  HookTree& operator=(const HookTree&) = delete;

  std::filesystem::path hooks_dir() const { return root / "renewal-hooks"; }

  /// Writes renewal-hooks/stage/name with body; executable unless told otherwise.
  std::filesystem::path add(const std::string& stage, const std::string& name,
                            const std::string& body = "#!/bin/sh\nexit 0\n",
                            bool executable = true) {
    auto path = hooks_dir() / stage / name;
    std::ofstream(path) << body;
    std::filesystem::permissions(path, executable ? std::filesystem::perms::owner_all
                                                  : std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::owner_write);
    return path;
  }
};

} // namespace certsmith::testing
