#pragma once
// Where certbot's tree lives: config dir (live/ archive/ renewal/ accounts/),
// work dir and logs dir, with certbot's defaults and folder names.

#include <filesystem>
#include <string>

namespace certsmith::store {

struct TreePaths {
  std::filesystem::path config_dir = "/etc/letsencrypt";
  std::filesystem::path work_dir = "/var/lib/letsencrypt";
  std::filesystem::path logs_dir = "/var/log/letsencrypt";

  /// Certbot's defaults: /etc/letsencrypt, /var/lib/letsencrypt, /var/log/letsencrypt.
  static TreePaths defaults() { return {}; }
  /// All three under one root (config/, work/, logs/): what tests and --root style setups use.
  static TreePaths under(const std::filesystem::path& root);

  /// config_dir/live: one directory of symlinks per lineage (0700).
  std::filesystem::path live_dir() const { return config_dir / "live"; }
  /// config_dir/archive: the numbered PEM files of every lineage (0700).
  std::filesystem::path archive_dir() const { return config_dir / "archive"; }
  /// config_dir/renewal: one NAME.conf per lineage (0700).
  std::filesystem::path renewal_dir() const { return config_dir / "renewal"; }
  /// config_dir/accounts: accounts/<server host[:port]>/<server path>/<id>/.
  std::filesystem::path accounts_dir() const { return config_dir / "accounts"; }
  /// config_dir/renewal-hooks: pre/, deploy/, post/ hook directories.
  std::filesystem::path renewal_hooks_dir() const { return config_dir / "renewal-hooks"; }
  /// config_dir/cli.ini: default options file.
  std::filesystem::path cli_ini() const { return config_dir / "cli.ini"; }

  /// live/NAME (name must be validated by the caller).
  std::filesystem::path lineage_live_dir(const std::string& name) const {
    return live_dir() / name;
  }
  /// archive/NAME (certbot's default archive_dir for a new lineage).
  std::filesystem::path lineage_archive_dir(const std::string& name) const {
    return archive_dir() / name;
  }
  /// renewal/NAME.conf.
  std::filesystem::path renewal_conf(const std::string& name) const {
    return renewal_dir() / (name + ".conf");
  }
};

/// Absolute and lexically normal, without a trailing separator: for comparing
/// the paths a renewal conf names with the tree's own (no symlink is resolved).
std::filesystem::path normal_absolute(const std::filesystem::path& path);

} // namespace certsmith::store
