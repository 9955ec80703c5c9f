#pragma once
// ACME accounts in certbot's layout:
// accounts/<server host[:port]>/<server path>/<id>/{private_key.json,regr.json,meta.json}
// where id is certbot's account id (md5 of the key's public PEM).

#include "crypto/private_key.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::store {

struct StoredAccount {
  std::string id;     // certbot's account id; empty on save means "compute it"
  std::string server; // ACME directory URL the account belongs to
  std::string uri;    // RFC 8555 §7.3: the account URL (Location of newAccount)
  crypto::PrivateKey key;
  nlohmann::json regr_body = nlohmann::json::object(); // RFC 8555 §7.1.2 account object, or {}
  std::string creation_dt;   // "2026-11-23T11:00:00Z"; empty on save means now
  std::string creation_host; // empty on save means this host's name
};

/// Certbot's account id: lower-case hex MD5 of the SubjectPublicKeyInfo PEM of
/// the key's public half (certbot's account.Account.id).
std::string account_id_for_key(const crypto::PrivateKey& key);

/// accounts/<host[:port]>/<path segments> for a directory URL, as certbot maps
/// it (https://acme-v02.api.letsencrypt.org/directory ->
/// accounts/acme-v02.api.letsencrypt.org/directory). Throws UsageError for a
/// URL that is not http(s), has user info, or whose host or path segments
/// could leave accounts/ ("..", ".", odd characters).
std::filesystem::path server_accounts_dir(const TreePaths& paths, std::string_view server_url);

/// server_accounts_dir(...)/<id>. Throws UsageError when `id` is not 32 hex digits.
std::filesystem::path account_dir(const TreePaths& paths, std::string_view server_url,
                                  std::string_view id);

/// All accounts stored for `server_url`, sorted by id; none when the directory
/// does not exist. Entries whose names are not account ids are ignored; an
/// account directory that cannot be read throws StorageError naming the file.
std::vector<StoredAccount> load_accounts(const TreePaths& paths, const std::string& server_url);

/// As load_accounts, but an account directory that cannot be read is left out
/// (its StorageError's message appended to `unreadable`) instead of failing
/// the whole listing. A server directory leading out of accounts/ still throws.
std::vector<StoredAccount> load_readable_accounts(const TreePaths& paths,
                                                  const std::string& server_url,
                                                  std::vector<std::string>& unreadable);

/// Account `id` for `server_url`, nullopt when its directory does not exist.
/// Throws StorageError naming the file for a missing or corrupt file, or when
/// the key does not hash to `id`.
std::optional<StoredAccount> load_account(const TreePaths& paths, const std::string& server_url,
                                          const std::string& id);

/// Write `account` (id computed when empty, else checked against the key):
/// private_key.json (private JWK, 0400), regr.json ({"body": ..., "uri": ...})
/// and meta.json, in a 0700 directory. A new account directory appears
/// complete or not at all; an existing one has each file replaced atomically.
/// Returns the id. Throws StorageError / UsageError.
std::string save_account(const TreePaths& paths, const StoredAccount& account);

/// Remove account `id` of `server_url` as certbot's AccountFileStorage.delete
/// does, then the server's account directory if that left it empty. The
/// directory is first renamed to a hidden temp name in one step, so readers
/// see the account whole or not at all; a symlink in its place is refused, and
/// nothing outside the account directory is followed. Throws UsageError for a
/// bad id, StorageError when the account does not exist or cannot be removed.
void delete_account(const TreePaths& paths, const std::string& server_url, const std::string& id);

} // namespace certsmith::store
