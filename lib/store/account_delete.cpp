// Removing an account directory (unregister, the old key after a rollover).
#include "store/account_store.hpp"
#include "store/account_tree.hpp"
#include "store/account_v1_reuse.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::store {

namespace {

// certbot's link from an ACME v2 account to the v1 account it reuses
// (account_v1_reuse.hpp): true when `dir` is exactly that link.
bool is_reuse_link(const TreePaths& paths, const std::filesystem::path& dir,
                   const std::string& id) {
  auto reused = reused_accounts_dir(paths, dir.parent_path());
  std::error_code error;
  return reused && std::filesystem::is_symlink(dir, error) &&
         std::filesystem::read_symlink(dir, error) == std::filesystem::absolute(*reused / id);
}

// `dir` is a real directory (not a symlink to one), so that removing it removes
// nothing else. Throws StorageError.
void require_account_directory(const std::filesystem::path& dir, const std::string& id) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      throw StorageError(fmt::format("account {} does not exist ({})", id, dir.string()));
    }
    throw StorageError(fmt::format("{}: cannot inspect ({})", dir.string(), std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw StorageError(
        fmt::format("{}: not a directory; refusing to remove what it points to", dir.string()));
  }
}

} // namespace

void delete_account(const TreePaths& paths, const std::string& server_url, const std::string& id) {
  std::filesystem::path dir = account_dir(paths, server_url, id);
  std::optional<std::filesystem::path> reuse_link;
  if (is_reuse_link(paths, dir, id)) {
    // As certbot's _delete_links_and_find_target_dir: the link goes, then the
    // v1 account; both only once the v1 account is known to be one.
    reuse_link = dir;
    dir = *reused_accounts_dir(paths, dir.parent_path()) / id;
    require_inside_accounts(paths, dir);
  }
  require_account_directory(dir, id);
  if (reuse_link && ::unlink(reuse_link->c_str()) != 0) {
    throw StorageError(
        fmt::format("{}: cannot remove ({})", reuse_link->string(), std::strerror(errno)));
  }
  // One rename makes the account disappear: a crash later leaves only a
  // hidden directory that is not an account id, which every reader skips.
  const std::filesystem::path doomed = temp_sibling(dir, "deleted");
  if (::rename(dir.c_str(), doomed.c_str()) != 0) {
    throw StorageError(fmt::format("{}: cannot remove ({})", dir.string(), std::strerror(errno)));
  }
  fsync_dir(dir.parent_path());
  std::error_code error;
  // remove_all removes symlinks inside the directory, never what they point to.
  std::filesystem::remove_all(doomed, error);
  if (error) {
    throw StorageError(fmt::format("{}: cannot remove ({})", doomed.string(), error.message()));
  }
  // Certbot also removes the server's directory once its last account is gone
  // (and a v2 link to v1's directory with it, but only when that is empty too).
  auto server_dir = dir.parent_path();
  if (std::filesystem::is_symlink(server_dir, error)) {
    auto reused = reused_accounts_dir(paths, server_dir);
    if (reused &&
        std::filesystem::read_symlink(server_dir, error) == std::filesystem::absolute(*reused) &&
        std::filesystem::is_empty(*reused, error) && !error &&
        std::filesystem::remove(server_dir, error)) {
      std::filesystem::remove(*reused, error);
    }
    return;
  }
  std::filesystem::remove(server_dir, error); // fails harmlessly when not empty
}

} // namespace certsmith::store
