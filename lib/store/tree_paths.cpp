#include "store/tree_paths.hpp"

namespace certsmith::store {

TreePaths TreePaths::under(const std::filesystem::path& root) {
  TreePaths paths;
  paths.config_dir = root / "config";
  paths.work_dir = root / "work";
  paths.logs_dir = root / "logs";
  return paths;
}

} // namespace certsmith::store
