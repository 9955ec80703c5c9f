#include "store/atomic_file.hpp"
#include "store/fault_injection.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "store/lineage_versions.hpp"
#include "store/live_exchange.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace certsmith::store {

namespace {

constexpr mode_t k_privkey_mode = 0600;
constexpr mode_t k_public_mode = 0644;
constexpr mode_t k_lineage_dir_mode = 0755;
constexpr mode_t k_top_dir_mode = 0700;

std::filesystem::path absolute_path(const std::filesystem::path& path) {
  return std::filesystem::absolute(path).lexically_normal();
}

// True when anything, even a dangling symlink, is at `path`.
bool present(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(std::filesystem::symlink_status(path, error));
}

// Certbot's rule: an existing archive/NAME or live/NAME may be reused only if it is an empty
// directory.
bool occupied(const std::filesystem::path& dir) {
  std::error_code error;
  auto status = std::filesystem::symlink_status(dir, error);
  if (!std::filesystem::exists(status)) {
    return false;
  }
  return !std::filesystem::is_directory(status) || !std::filesystem::is_empty(dir, error) || error;
}

const std::string& content_of(const CertificateFiles& files, std::size_t kind) {
  switch (kind) {
  case 0:
    return files.cert_pem;
  case 1:
    return files.privkey_pem;
  case 2:
    return files.chain_pem;
  default:
    return files.fullchain_pem;
  }
}

void require_complete(const CertificateFiles& files) {
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
    if (content_of(files, kind).empty()) {
      throw StorageError(fmt::format("refusing to store an empty {}", k_lineage_kinds[kind]));
    }
  }
}

std::filesystem::path archive_file(const std::filesystem::path& archive, std::size_t kind,
                                   int version) {
  return archive / fmt::format("{}{}.pem", k_lineage_kinds[kind], version);
}

void make_dir(const std::filesystem::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 || ::chmod(dir.c_str(), mode) != 0) {
    throw StorageError(
        fmt::format("{}: cannot create directory ({})", dir.string(), std::strerror(errno)));
  }
}

void make_symlink(const std::filesystem::path& target, const std::filesystem::path& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0) {
    throw StorageError(
        fmt::format("{}: cannot create symlink ({})", link.string(), std::strerror(errno)));
  }
}

// Builds the next live set in `pending`: one relative symlink per kind to
// version `version` in `archive` (relative to `live`, where it will end up), and the README.
void build_live_set(const std::filesystem::path& pending, const std::filesystem::path& live,
                    const std::filesystem::path& archive, int version,
                    const std::array<std::string, 4>& link_names, mode_t mode) {
  make_dir(pending, mode);
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
    make_symlink(archive_file(archive, kind, version).lexically_relative(live),
                 pending / link_names[kind]);
  }
  write_file_atomic(pending / "README", live_readme(false), k_public_mode);
}

// Files a user or tool put in live/NAME survive the switch: regular files are
// hard-linked (copied if that fails) and symlinks recreated in the new set;
// directories are returned, to be moved across right after the exchange.
std::vector<std::string> carry_extras(const std::filesystem::path& live,
                                      const std::filesystem::path& pending) {
  std::vector<std::string> directories;
  std::error_code error;
  for (std::filesystem::directory_iterator it(live, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    auto from = it->path();
    auto to = pending / name;
    if (present(to)) {
      continue; // one of ours: the four links or README
    }
    auto status = it->symlink_status();
    if (std::filesystem::is_symlink(status)) {
      make_symlink(std::filesystem::read_symlink(from), to);
    } else if (std::filesystem::is_regular_file(status)) {
      if (::link(from.c_str(), to.c_str()) != 0) {
        std::filesystem::copy_file(from, to);
        std::filesystem::permissions(to, status.permissions());
      }
    } else {
      directories.push_back(name);
    }
  }
  if (error) {
    throw StorageError(fmt::format("{}: cannot list ({})", live.string(), error.message()));
  }
  return directories;
}

// Filesystems without RENAME_EXCHANGE: switch each link with its own rename,
// which is atomic per file (what certbot does for the whole set).
void switch_links_one_by_one(const std::filesystem::path& pending,
                             const std::filesystem::path& live,
                             const std::array<std::string, 4>& link_names) {
  for (const auto& name : link_names) {
    if (::rename((pending / name).c_str(), (live / name).c_str()) != 0) {
      throw StorageError(fmt::format("{}: cannot switch to the new version ({})",
                                     (live / name).string(), std::strerror(errno)));
    }
  }
}

mode_t mode_of(const std::filesystem::path& path, mode_t fallback) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : fallback;
}

void remove_quietly(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

} // namespace

std::string live_readme(bool base) {
  const std::string prefix = base ? "[cert name]/" : "";
  return fmt::format(
      "This directory contains your keys and certificates.\n\n"
      "`{0}privkey.pem`  : the private key for your certificate.\n"
      "`{0}fullchain.pem`: the certificate file used in most server software.\n"
      "`{0}chain.pem`    : used for OCSP stapling in Nginx >=1.3.7.\n"
      "`{0}cert.pem`     : will break many server configurations, and should not be used\n"
      "                 without reading further documentation (see link below).\n\n"
      "WARNING: DO NOT MOVE OR RENAME THESE FILES!\n"
      "         Certbot expects these files to remain in this location in order\n"
      "         to function properly!\n\n"
      "We recommend not moving these files. For more information, see the Certbot\n"
      "User Guide at https://certbot.eff.org/docs/using.html#where-are-my-certificates.\n",
      prefix);
}

Lineage create_lineage(const TreePaths& paths, const std::string& name,
                       const CertificateFiles& files, const RenewalParams& params) {
  validate_cert_name(name);
  require_complete(files);
  TreePaths tree = paths;
  tree.config_dir = absolute_path(paths.config_dir);
  for (const auto& dir : {tree.renewal_dir(), tree.archive_dir(), tree.live_dir()}) {
    make_private_dirs(dir, k_top_dir_mode);
  }
  auto conf_path = tree.renewal_conf(name);
  auto archive = tree.lineage_archive_dir(name);
  auto live = tree.lineage_live_dir(name);
  if (present(conf_path)) {
    throw StorageError(fmt::format("certificate name {} is already taken", name));
  }
  for (const auto& dir : {archive, live}) {
    if (occupied(dir)) {
      throw StorageError(fmt::format("{} already exists for certificate {}", dir.string(), name));
    }
  }
  if (!present(tree.live_dir() / "README")) {
    write_file_atomic(tree.live_dir() / "README", live_readme(true), k_public_mode);
  }

  const std::array<std::string, 4> link_names = {"cert.pem", "privkey.pem", "chain.pem",
                                                 "fullchain.pem"};
  auto pending = pending_live_dir(live);
  bool made_archive = !present(archive);
  bool made_live = !present(live);
  auto rollback = [&] {
    remove_quietly(pending);
    if (made_live) {
      remove_quietly(live);
    }
    if (made_archive) {
      remove_quietly(archive);
    } else {
      for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
        remove_quietly(archive_file(archive, kind, 1));
      }
    }
  };
  try {
    make_private_dirs(archive, k_lineage_dir_mode);
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      write_file_atomic(archive_file(archive, kind, 1), content_of(files, kind),
                        kind == 1 ? k_privkey_mode : k_public_mode);
    }
    testing::fault_point("create:archive-written");
    remove_quietly(pending);
    build_live_set(pending, live, archive, 1, link_names, k_lineage_dir_mode);
    fsync_dir(pending);
    // rename(2) replaces an empty directory, so live/NAME appears complete or not at all.
    if (::rename(pending.c_str(), live.c_str()) != 0) {
      throw StorageError(
          fmt::format("{}: cannot create ({})", live.string(), std::strerror(errno)));
    }
    fsync_dir(tree.live_dir());
    made_live = true;

    ConfigObj conf;
    Section& root = conf.root();
    root.set("version", k_renewal_conf_version);
    root.set("archive_dir", archive.string());
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      root.set(k_lineage_kinds[kind], (live / link_names[kind]).string());
    }
    write_renewal_params(conf, params);
    testing::fault_point("create:before-conf");
    write_file_atomic(conf_path, conf.to_string(), k_public_mode);
  } catch (const std::filesystem::filesystem_error& error) {
    rollback();
    throw StorageError(error.what());
  } catch (...) {
    rollback();
    throw;
  }
  return Lineage::load(tree, name);
}

int save_successor(Lineage& lineage, const CertificateFiles& files, const RenewalParams& params) {
  require_complete(files);
  auto live = absolute_path(lineage.live_dir());
  if (!live.has_filename()) {
    throw StorageError(
        fmt::format("{}: not a usable live directory for {}", live.string(), lineage.name()));
  }
  std::array<std::string, 4> link_names;
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
    auto link = absolute_path(lineage.m_links[kind]);
    if (link.parent_path() != live) {
      throw StorageError(fmt::format("{}: the live files of {} are not in one directory",
                                     link.string(), lineage.name()));
    }
    link_names[kind] = link.filename().string();
  }
  auto archive = absolute_path(lineage.archive_dir());
  if (!std::filesystem::is_directory(archive)) {
    throw StorageError(fmt::format("{}: archive directory missing", archive.string()));
  }
  const int version = lineage.max_archive_version() + 1;

  // Like certbot: the new key keeps the group and the group bits of the current
  // one (services read it through a group such as ssl-cert), never world bits.
  mode_t privkey_mode = k_privkey_mode;
  std::optional<gid_t> privkey_group;
  struct stat old_key {};
  if (::stat(lineage.privkey_path().c_str(), &old_key) == 0) {
    privkey_mode |= old_key.st_mode & 0070;
    if (old_key.st_gid != ::getegid()) {
      privkey_group = old_key.st_gid;
    }
  }

  auto pending = pending_live_dir(live);
  std::vector<std::filesystem::path> written;
  std::vector<std::string> moved_later;
  auto undo = [&] {
    remove_quietly(pending);
    for (const auto& path : written) {
      remove_quietly(path);
    }
  };
  ExchangeResult result{};
  try {
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      auto path = archive_file(archive, kind, version);
      written.push_back(path);
      write_file_atomic(path, content_of(files, kind), kind == 1 ? privkey_mode : k_public_mode,
                        kind == 1 ? privkey_group : std::nullopt);
    }
    testing::fault_point("successor:archive-written");
    remove_quietly(pending);
    build_live_set(pending, live, archive, version, link_names, mode_of(live, k_lineage_dir_mode));
    moved_later = carry_extras(live, pending);
    fsync_dir(pending);
    testing::fault_point("successor:before-exchange");
    result = exchange_directories(pending, live);
  } catch (const std::filesystem::filesystem_error& error) {
    undo();
    throw StorageError(error.what());
  } catch (...) {
    undo();
    throw;
  }
  if (result == ExchangeResult::unsupported) {
    // From the first link switched on, the new archive files are in use: keep them.
    switch_links_one_by_one(pending, live, link_names);
    moved_later.clear();
  }
  fsync_dir(live.parent_path());
  testing::fault_point("successor:after-exchange");
  for (const auto& name : moved_later) {
    ::rename((pending / name).c_str(), (live / name).c_str());
  }
  remove_quietly(pending);

  ConfigObj conf = lineage.m_conf;
  if (!conf.root().has("version")) {
    conf.root().set("version", k_renewal_conf_version);
  }
  write_renewal_params(conf, params);
  testing::fault_point("successor:before-conf");
  write_file_atomic(lineage.m_conf_path, conf.to_string(),
                    mode_of(lineage.m_conf_path, k_public_mode));
  lineage.m_params = read_renewal_params(conf);
  lineage.m_conf = std::move(conf);
  return version;
}

} // namespace certsmith::store
