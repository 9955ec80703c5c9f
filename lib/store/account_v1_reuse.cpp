#include "store/account_v1_reuse.hpp"

#include "store/atomic_file.hpp"
#include "util/log.hpp"

#include <array>
#include <exception>
#include <string_view>
#include <system_error>
#include <utility>

namespace certsmith::store {

namespace {

// certbot's constants.LE_REUSE_SERVERS, as paths under accounts/.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> k_reuse_servers{{
    {"acme-v02.api.letsencrypt.org/directory", "acme-v01.api.letsencrypt.org/directory"},
    {"acme-staging-v02.api.letsencrypt.org/directory",
     "acme-staging.api.letsencrypt.org/directory"},
}};

} // namespace

std::optional<std::filesystem::path> reused_accounts_dir(const TreePaths& paths,
                                                         const std::filesystem::path& server_dir) {
  auto relative = server_dir.lexically_relative(paths.accounts_dir());
  for (const auto& [current, previous] : k_reuse_servers) {
    if (relative == std::filesystem::path(current)) {
      return paths.accounts_dir() / std::filesystem::path(previous);
    }
  }
  return std::nullopt;
}

void link_reused_accounts(const std::filesystem::path& server_dir,
                          const std::filesystem::path& reused_dir, const std::string& account_id) {
  namespace fs = std::filesystem;
  std::error_code error;
  auto target = fs::absolute(reused_dir, error);
  auto link = server_dir;
  try {
    bool whole_dir = account_id.empty() || fs::is_symlink(server_dir) || !fs::exists(server_dir) ||
                     fs::is_empty(server_dir);
    if (!whole_dir) {
      target /= account_id;
      link /= account_id;
    } else if (fs::is_symlink(server_dir) || fs::exists(server_dir)) {
      fs::remove(server_dir); // a link, or an empty directory (rmdir)
    }
    if (!fs::exists(link.parent_path())) {
      make_private_dirs(link.parent_path(), 0700);
    }
    fs::create_directory_symlink(target, link);
    fsync_dir(link.parent_path());
  } catch (const std::exception& failure) {
    util::log_warning("could not link {} to {} as certbot does: {}", link.string(), target.string(),
                      failure.what());
    return;
  }
  util::log_info("linked {} to {}: certbot reuses that ACME v1 account for this server",
                 link.string(), target.string());
}

} // namespace certsmith::store
