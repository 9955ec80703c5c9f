#include "issuance/lineage_lookup.hpp"

#include "util/error.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <system_error>

namespace certsmith::issuance {

bool lineage_exists(const store::TreePaths& paths, const std::string& name) {
  std::filesystem::path conf = paths.renewal_conf(name);
  std::error_code error;
  bool exists = std::filesystem::exists(conf, error);
  if (error)
    throw StorageError(fmt::format("{}: cannot check the renewal configuration ({})", conf.string(),
                                   error.message()));
  return exists;
}

} // namespace certsmith::issuance
