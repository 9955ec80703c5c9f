// Removing an account directory (unregister, the old key after a rollover).
#include "store/account_store.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::store {

void delete_account(const TreePaths& paths, const std::string& server_url, const std::string& id) {
  const std::filesystem::path dir = account_dir(paths, server_url, id);
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
  // Certbot also removes the server's directory once its last account is gone.
  std::filesystem::remove(dir.parent_path(), error); // fails harmlessly when not empty
}

} // namespace certsmith::store
