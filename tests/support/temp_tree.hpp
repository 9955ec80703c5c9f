#pragma once
// A certsmith tree (config/, work/, logs/) under a fresh directory in /tmp,
// removed with everything in it when the test ends.

#include "store/tree_paths.hpp"

#include <filesystem>
#include <string>
#include <unistd.h>

namespace certsmith::testing {

struct TempTree {
  std::filesystem::path root;
  store::TreePaths paths;

  explicit TempTree(const std::string& label = "tree") {
    std::string pattern = "/tmp/certsmith-" + label + "-XXXXXX";
    root = ::mkdtemp(pattern.data());
    paths = store::TreePaths::under(root);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
};

} // namespace certsmith::testing
