#include "store/account_store.hpp"

#include "crypto/jwk.hpp"
#include "store/account_tree.hpp"
#include "store/account_v1_reuse.hpp"
#include "store/atomic_file.hpp"
#include "store/file_batch.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <system_error>
#include <unistd.h>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_account_file = 64 * 1024;
constexpr mode_t k_account_dir_mode = 0700;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_host(std::string_view netloc) {
  std::string_view host = netloc;
  std::string_view port;
  if (host.starts_with('[')) {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    std::string_view inside = host.substr(1, close - 1);
    if (!std::all_of(inside.begin(), inside.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
        })) {
      return false;
    }
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return false;
    }
    port = after.empty() ? after : after.substr(1);
    if (!after.empty() && port.empty()) {
      return false;
    }
  } else {
    std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) {
        return false;
      }
    }
    if (host.empty() || !is_alnum(host.front()) ||
        !std::all_of(host.begin(), host.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '.'; })) {
      return false;
    }
  }
  return port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_segment(std::string_view segment) {
  static constexpr std::string_view k_allowed = "-._~!$&'()*+,;=:@%";
  return segment != "." && segment != ".." && segment.size() <= 255 &&
         std::all_of(segment.begin(), segment.end(), [](char c) {
           return is_alnum(c) || k_allowed.find(c) != std::string_view::npos;
         });
}

bool valid_id(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// For error messages: a hostile URL must not put control characters on the terminal.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 200)) {
    out += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::string text = read_file(path, k_max_account_file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw StorageError(fmt::format("{}: not valid JSON", path.string()));
  }
}

std::string utc_now() {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) {
    return "localhost";
  }
  return buffer;
}

StoredAccount read_account(const std::filesystem::path& dir, const std::string& server,
                           const std::string& id) {
  auto key_path = dir / "private_key.json";
  auto jwk = read_json(key_path);
  std::optional<crypto::PrivateKey> key;
  try {
    key = crypto::private_key_from_jwk(jwk);
  } catch (const Error& error) {
    throw StorageError(
        fmt::format("{}: not a usable private key ({})", key_path.string(), error.what()));
  } catch (const nlohmann::json::exception&) {
    throw StorageError(fmt::format("{}: not a usable private key", key_path.string()));
  }
  if (account_id_for_key(*key) != id) {
    throw StorageError(
        fmt::format("{}: the key does not belong to account {}", key_path.string(), id));
  }

  auto regr_path = dir / "regr.json";
  auto regr = read_json(regr_path);
  if (!regr.is_object() || (regr.contains("uri") && !regr["uri"].is_string()) ||
      (regr.contains("body") && !regr["body"].is_object())) {
    throw StorageError(fmt::format("{}: not a registration resource", regr_path.string()));
  }
  StoredAccount account{
      id, server, regr.value("uri", ""), *key, regr.value("body", nlohmann::json::object()),
      "", ""};

  auto meta_path = dir / "meta.json";
  if (std::filesystem::exists(meta_path)) {
    auto meta = read_json(meta_path);
    if (!meta.is_object()) {
      throw StorageError(fmt::format("{}: not an object", meta_path.string()));
    }
    if (meta.contains("creation_dt") && meta["creation_dt"].is_string()) {
      account.creation_dt = meta["creation_dt"].get<std::string>();
    }
    if (meta.contains("creation_host") && meta["creation_host"].is_string()) {
      account.creation_host = meta["creation_host"].get<std::string>();
    }
  }
  return account;
}

std::vector<std::string> account_ids_in(const std::filesystem::path& dir) {
  std::vector<std::string> ids;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    std::error_code ignored;
    if (valid_id(name) && std::filesystem::is_directory(it->path(), ignored)) {
      ids.push_back(name);
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    throw StorageError(fmt::format("{}: cannot list ({})", dir.string(), error.message()));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

} // namespace

// A directory under accounts/ that is a symlink (certbot links ACME v2 server
// directories to v1 ones) is followed only while it stays inside accounts/:
// nothing there may make certsmith read or write keys elsewhere.
void require_inside_accounts(const TreePaths& paths, const std::filesystem::path& dir) {
  std::error_code error;
  auto root = std::filesystem::weakly_canonical(paths.accounts_dir(), error);
  auto real = error ? std::filesystem::path() : std::filesystem::weakly_canonical(dir, error);
  if (error) {
    throw StorageError(fmt::format("{}: cannot resolve ({})", dir.string(), error.message()));
  }
  auto relative = real.lexically_relative(root);
  if (relative.empty() || *relative.begin() == "..") {
    throw StorageError(fmt::format("{}: leads out of {} (to {}); refusing to follow it",
                                   dir.string(), paths.accounts_dir().string(), real.string()));
  }
}

std::filesystem::path server_accounts_dir(const TreePaths& paths, std::string_view server_url) {
  auto reject = [&](std::string_view why) -> std::filesystem::path {
    throw UsageError(fmt::format("unusable ACME server URL '{}': {}", printable(server_url), why));
  };
  std::string_view rest = server_url;
  std::size_t scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos) {
    return reject("expected http:// or https://");
  }
  std::string scheme(rest.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (scheme != "https" && scheme != "http") {
    return reject("expected http:// or https://");
  }
  rest.remove_prefix(scheme_end + 3);
  // Like certbot (urlparse netloc + path): query and fragment are not part of the path.
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::size_t slash = rest.find('/');
  std::string_view netloc = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (netloc.find('@') != std::string_view::npos) {
    return reject("user info is not allowed");
  }
  if (!valid_host(netloc)) {
    return reject("bad host");
  }
  std::filesystem::path dir = paths.accounts_dir() / std::string(netloc);
  while (!path.empty()) {
    path.remove_prefix(1);
    std::size_t end = path.find('/');
    std::string_view segment = path.substr(0, end);
    if (!segment.empty()) {
      if (!valid_segment(segment)) {
        return reject("bad path segment");
      }
      dir /= std::string(segment);
    }
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return dir;
}

std::filesystem::path account_dir(const TreePaths& paths, std::string_view server_url,
                                  std::string_view id) {
  if (!valid_id(id)) {
    throw UsageError(fmt::format("invalid account id '{}'", printable(id)));
  }
  return server_accounts_dir(paths, server_url) / std::string(id);
}

std::optional<StoredAccount> load_account(const TreePaths& paths, const std::string& server_url,
                                          const std::string& id) {
  auto dir = account_dir(paths, server_url, id);
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    // certbot's _load_for_server_path: a v2 account may live under v1's directory.
    auto reused = reused_accounts_dir(paths, dir.parent_path());
    if (!reused || !std::filesystem::is_directory(*reused / id, error)) {
      return std::nullopt;
    }
    require_inside_accounts(paths, *reused / id);
    StoredAccount account = read_account(*reused / id, server_url, id);
    link_reused_accounts(dir.parent_path(), *reused, id);
    return account;
  }
  require_inside_accounts(paths, dir);
  return read_account(dir, server_url, id);
}

namespace {

// load_accounts, and with `unreadable` load_readable_accounts: one account
// that cannot be read is then left out instead of failing the listing.
std::vector<StoredAccount> load_accounts_of(const TreePaths& paths, const std::string& server_url,
                                            std::vector<std::string>* unreadable) {
  auto dir = server_accounts_dir(paths, server_url);
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    require_inside_accounts(paths, dir);
  }
  std::vector<StoredAccount> accounts;
  auto read_each = [&](const std::filesystem::path& from, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      try {
        accounts.push_back(read_account(from / id, server_url, id));
      } catch (const StorageError& failure) {
        if (unreadable == nullptr) {
          throw;
        }
        unreadable->push_back(failure.what());
      }
    }
  };
  std::vector<std::string> ids = account_ids_in(dir);
  if (ids.empty()) {
    // certbot's _find_all_for_server_path: none for a v2 server, then v1's, linked.
    auto reused = reused_accounts_dir(paths, dir);
    if (reused && std::filesystem::exists(*reused, error)) {
      require_inside_accounts(paths, *reused);
      read_each(*reused, account_ids_in(*reused));
      if (!accounts.empty()) {
        link_reused_accounts(dir, *reused, "");
      }
    }
    return accounts;
  }
  read_each(dir, ids);
  return accounts;
}

} // namespace

std::vector<StoredAccount> load_accounts(const TreePaths& paths, const std::string& server_url) {
  return load_accounts_of(paths, server_url, nullptr);
}

std::vector<StoredAccount> load_readable_accounts(const TreePaths& paths,
                                                  const std::string& server_url,
                                                  std::vector<std::string>& unreadable) {
  return load_accounts_of(paths, server_url, &unreadable);
}

std::string save_account(const TreePaths& paths, const StoredAccount& account) {
  std::string id = account_id_for_key(account.key);
  if (!account.id.empty() && account.id != id) {
    throw StorageError(
        fmt::format("account id {} does not match its key ({})", printable(account.id), id));
  }
  auto dir = account_dir(paths, account.server, id);
  if (!account.regr_body.is_object()) {
    throw StorageError("the account's registration body must be a JSON object");
  }
  nlohmann::json regr = {{"body", account.regr_body}, {"uri", account.uri}};
  // Certbot leaves register_to_eff out once it is null.
  nlohmann::json meta = {
      {"creation_dt", account.creation_dt.empty() ? utc_now() : account.creation_dt},
      {"creation_host", account.creation_host.empty() ? host_name() : account.creation_host}};
  std::string key_json = crypto::private_jwk(account.key).dump();

  std::error_code error;
  if (!std::filesystem::exists(paths.config_dir, error)) {
    make_private_dirs(paths.config_dir, 0755);
  }
  // Checked before anything is created: a link out of accounts/ on the way
  // would otherwise have directories made wherever it leads.
  require_inside_accounts(paths, dir.parent_path());
  make_private_dirs(dir.parent_path(), k_account_dir_mode);
  std::string regr_json = regr.dump();
  std::string meta_json = meta.dump();
  auto write_files = [&](const std::filesystem::path& into) {
    write_files_atomic({{into / "private_key.json", key_json, 0400, std::nullopt},
                        {into / "regr.json", regr_json, 0644, std::nullopt},
                        {into / "meta.json", meta_json, 0644, std::nullopt}});
  };
  if (std::filesystem::is_directory(dir, error)) {
    write_files(dir);
    return id;
  }
  // A new account directory is filled beside its final name and renamed in.
  auto pending = temp_sibling(dir, "new");
  try {
    make_private_dirs(pending, k_account_dir_mode);
    write_files(pending);
    if (::rename(pending.c_str(), dir.c_str()) != 0) {
      throw StorageError(fmt::format("{}: cannot create ({})", dir.string(), std::strerror(errno)));
    }
    fsync_dir(dir.parent_path());
  } catch (...) {
    std::filesystem::remove_all(pending, error);
    throw;
  }
  return id;
}

} // namespace certsmith::store
