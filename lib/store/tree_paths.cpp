#include "store/tree_paths.hpp"

#include <system_error>

namespace certsmith::store {

TreePaths TreePaths::under(const std::filesystem::path& root) {
  TreePaths paths;
  paths.config_dir = root / "config";
  paths.work_dir = root / "work";
  paths.logs_dir = root / "logs";
  return paths;
}

std::filesystem::path normal_absolute(const std::filesystem::path& path) {
  std::error_code ignored;
  auto absolute = std::filesystem::absolute(path, ignored);
  auto normal = (absolute.empty() ? path : absolute).lexically_normal();
  if (normal.filename().empty() && normal.has_parent_path() && normal != normal.root_path())
    normal = normal.parent_path();
  return normal;
}

} // namespace certsmith::store
