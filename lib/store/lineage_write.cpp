#include "store/archive_prune.hpp"
#include "store/atomic_file.hpp"
#include "store/fault_injection.hpp"
#include "store/file_batch.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "store/lineage_versions.hpp"
#include "store/live_exchange.hpp"
#include "store/live_set.hpp"
#include "store/stale_temps.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
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
constexpr std::size_t k_max_conf_bytes = 1 << 20;

std::filesystem::path absolute_path(const std::filesystem::path& path) {
  return std::filesystem::absolute(path).lexically_normal();
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
  validate_new_cert_name(name); // every file of it, temp files too, must fit in 255 bytes
  require_complete(files);
  TreePaths tree = paths;
  tree.config_dir = absolute_path(paths.config_dir);
  bool made_top_dir = false;
  for (const auto& dir : {tree.renewal_dir(), tree.archive_dir(), tree.live_dir()}) {
    made_top_dir = made_top_dir || !present(dir);
    make_private_dirs(dir, k_top_dir_mode);
  }
  if (made_top_dir) {
    fsync_dir(tree.config_dir);
  }
  auto conf_path = tree.renewal_conf(name);
  auto archive = tree.lineage_archive_dir(name);
  auto live = tree.lineage_live_dir(name);
  // An earlier creation killed midway may have left temp files (a private key among them).
  remove_stale_temps({name, archive, tree.renewal_dir(), tree.live_dir()});
  if (present(conf_path)) {
    throw StorageError(fmt::format("certificate name {} is already taken", name));
  }
  for (const auto& dir : {archive, live}) {
    if (occupied(dir)) {
      throw StorageError(fmt::format("{} already exists for certificate {}", dir.string(), name));
    }
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
  // Every file is written and synced in one batch; the renames then follow the
  // order readers depend on: archive files and the new live set, live/NAME, the conf.
  FileBatch batch;
  try {
    make_private_dirs(archive, k_lineage_dir_mode);
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      batch.stage(archive_file(archive, kind, 1), content_of(files, kind),
                  kind == 1 ? k_privkey_mode : k_public_mode);
    }
    remove_quietly(pending);
    build_live_set(pending, live, archive, 1, link_names, k_lineage_dir_mode);
    batch.stage(pending / "README", live_readme(false), k_public_mode);
    if (!present(tree.live_dir() / "README")) {
      batch.stage(tree.live_dir() / "README", live_readme(true), k_public_mode);
    }
    ConfigObj conf;
    Section& root = conf.root();
    root.set("version", k_renewal_conf_version);
    root.set("archive_dir", archive.string());
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      root.set(k_lineage_kinds[kind], (live / link_names[kind]).string());
    }
    write_renewal_params(conf, params);
    batch.stage(conf_path, conf.to_string(), k_public_mode);

    batch.publish({archive, pending});
    if (made_archive) {
      fsync_dir(tree.archive_dir());
    }
    testing::fault_point("create:archive-written");
    // rename(2) replaces an empty directory, so live/NAME appears complete or not at all.
    if (::rename(pending.c_str(), live.c_str()) != 0) {
      throw StorageError(
          fmt::format("{}: cannot create ({})", live.string(), std::strerror(errno)));
    }
    made_live = true;
    batch.publish({tree.live_dir()});
    testing::fault_point("create:before-conf");
    batch.publish({tree.renewal_dir()});
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
  // A renewal killed midway leaves temp files (a private key among them) that no one else removes.
  remove_stale_temps(
      {lineage.name(), archive, absolute_path(lineage.m_conf_path).parent_path(), {}});
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

  ConfigObj conf = lineage.m_conf;
  if (!conf.root().has("version")) {
    conf.root().set("version", k_renewal_conf_version);
  }
  write_renewal_params(conf, params);
  std::string conf_text = conf.to_string();
  // A renewal with unchanged options leaves the conf alone: two fewer syncs.
  bool conf_changed = true;
  try {
    conf_changed = read_file(lineage.m_conf_path, k_max_conf_bytes) != conf_text;
  } catch (const StorageError&) {
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
  FileBatch batch;
  ExchangeResult result{};
  try {
    for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind) {
      auto path = archive_file(archive, kind, version);
      written.push_back(path);
      batch.stage(path, content_of(files, kind), kind == 1 ? privkey_mode : k_public_mode,
                  kind == 1 ? privkey_group : std::nullopt);
    }
    remove_quietly(pending);
    build_live_set(pending, live, archive, version, link_names, mode_of(live, k_lineage_dir_mode));
    if (!regular_file_at(live / "README")) {
      batch.stage(pending / "README", live_readme(false), k_public_mode);
    }
    moved_later = carry_extras(live, pending);
    if (conf_changed) {
      batch.stage(lineage.m_conf_path, conf_text, mode_of(lineage.m_conf_path, k_public_mode));
    }
    // The archive files and the new set's entries are durable before the exchange is issued.
    batch.publish({archive, pending});
    testing::fault_point("successor:archive-written");
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
    fsync_dir(live);
  } else {
    fsync_dir(live.parent_path());
  }
  testing::fault_point("successor:after-exchange");
  bool moved = false;
  for (const auto& name : moved_later) {
    moved = ::rename((pending / name).c_str(), (live / name).c_str()) == 0 || moved;
  }
  if (moved) {
    fsync_dir(live);
  }
  remove_quietly(pending);

  testing::fault_point("successor:before-conf");
  if (conf_changed) {
    batch.publish({lineage.m_conf_path.parent_path()});
  }
  lineage.m_params = read_renewal_params(conf);
  lineage.m_conf = std::move(conf);
  // Last, as certbot does after switching its links: the new version is in place
  // whatever happens to the old ones.
  prune_archive(lineage);
  return version;
}

} // namespace certsmith::store
