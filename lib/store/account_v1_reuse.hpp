#pragma once
// certbot's LE_REUSE_SERVERS: Let's Encrypt's ACME v2 directories use the
// accounts registered with their ACME v1 predecessors. An account found only
// under accounts/acme-v01.api.letsencrypt.org/directory serves
// https://acme-v02.api.letsencrypt.org/directory (staging likewise), and the
// v2 directory is then linked to it, as certbot's AccountFileStorage does, so
// both tools see one account from then on.

#include "store/tree_paths.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace certsmith::store {

/// The v1 accounts directory whose accounts `server_dir` (an
/// accounts/<netloc>/<path> directory) reuses; nullopt for any other server.
std::optional<std::filesystem::path> reused_accounts_dir(const TreePaths& paths,
                                                         const std::filesystem::path& server_dir);

/// Link `server_dir` to `reused_dir` as certbot does: the whole directory
/// (an empty directory or an old link in its place is replaced) when
/// `account_id` is empty or `server_dir` holds nothing, else only
/// server_dir/<account_id>. Links are absolute, as certbot writes them.
/// Failing to link is logged, not thrown: the account was found either way.
void link_reused_accounts(const std::filesystem::path& server_dir,
                          const std::filesystem::path& reused_dir, const std::string& account_id);

} // namespace certsmith::store
