#pragma once
// A certificate lineage in certbot's layout: renewal/NAME.conf names four live
// symlinks (live/NAME/{cert,chain,fullchain,privkey}.pem) that point into
// numbered files in archive/NAME/. New versions are written under new numbers
// and the live set is switched in one renameat2(RENAME_EXCHANGE) step.
// Durability order: the archive files and the new live set's entries are on
// disk before the switch is issued, the switch before the conf that names it.
// The files of one write are synced as one batch (file_batch.hpp).
// Callers hold the tree lock (tree_lock.hpp): two writers of one lineage are not supported.

#include "store/config_obj.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::store {

/// One version of a lineage's four PEM files (fullchain = cert + chain).
struct CertificateFiles {
  std::string cert_pem;
  std::string chain_pem;
  std::string fullchain_pem;
  std::string privkey_pem;
};

/// The renewal conf version we write: certbot 2.1 and later read it without a warning.
inline constexpr const char* k_renewal_conf_version = "2.1.0";

class Lineage {
public:
  /// Load renewal/NAME.conf and check its four live symlinks (certbot's rule:
  /// each must be a symlink whose target exists). A live/.NAME.new left by a
  /// crash is removed first. Throws UsageError for an invalid name and
  /// StorageError with a one-line reason for a missing or corrupt conf or files.
  static Lineage load(const TreePaths& paths, const std::string& name);

  /// Only what deciding due-ness needs: renewal/NAME.conf read and parsed and
  /// the paths it names resolved, with load's errors for the name and the conf;
  /// the live links are neither checked nor cleaned up. Call verify() before
  /// using the lineage's files beyond cert_path().
  static Lineage load_for_check(const TreePaths& paths, const std::string& name);

  /// What load does after load_for_check: remove a crash's live/.NAME.new and
  /// check the four live symlinks. Throws StorageError with a one-line reason.
  void verify() const;

  /// Names of all lineages: renewal/*.conf without ".conf", sorted; names that
  /// fail validate_cert_name are skipped. Empty when renewal/ does not exist.
  static std::vector<std::string> list_names(const TreePaths& paths);

  const std::string& name() const { return m_name; }
  /// The parsed renewal conf, as last read or written.
  const ConfigObj& conf() const { return m_conf; }
  const RenewalParams& params() const { return m_params; }
  const std::filesystem::path& conf_path() const { return m_conf_path; }

  /// Live symlinks as the conf names them.
  const std::filesystem::path& cert_path() const { return m_links[0]; }
  const std::filesystem::path& privkey_path() const { return m_links[1]; }
  const std::filesystem::path& chain_path() const { return m_links[2]; }
  const std::filesystem::path& fullchain_path() const { return m_links[3]; }
  /// All four, in k_lineage_kinds order (cert, privkey, chain, fullchain).
  const std::array<std::filesystem::path, 4>& links() const { return m_links; }
  /// The directory holding the cert symlink (certbot's live_dir).
  std::filesystem::path live_dir() const { return cert_path().parent_path(); }
  /// archive_dir from the conf, or archive/NAME when the conf has none.
  const std::filesystem::path& archive_dir() const { return m_archive_dir; }

  /// Highest N for which all four archive files exist (0 when none does).
  int latest_version() const;
  /// Highest N among any archive file (0 when none); the next version is this + 1.
  int max_archive_version() const;
  /// N of the archive file the cert symlink points to (0 when it is not certN.pem).
  int current_version() const;

  /// Current contents through the live symlinks. Throws StorageError.
  std::string read_cert_pem() const;
  std::string read_privkey_pem() const;
  CertificateFiles read_current() const;

private:
  friend Lineage create_lineage(const TreePaths&, const std::string&, const CertificateFiles&,
                                const RenewalParams&);
  friend int save_successor(Lineage&, const CertificateFiles&, const RenewalParams&);

  Lineage() = default;

  std::string m_name;
  ConfigObj m_conf;
  RenewalParams m_params;
  std::filesystem::path m_conf_path;
  std::filesystem::path m_archive_dir;
  std::array<std::filesystem::path, 4> m_links; // cert, privkey, chain, fullchain
};

/// Create lineage `name` (already chosen with choose_lineage_name) as certbot
/// does: archive/NAME/{cert,chain,fullchain,privkey}1.pem (privkey 0600,
/// others 0644, archive/NAME 0755), live/NAME with relative symlinks and a
/// README (live/NAME 0755), live/README, and renewal/NAME.conf (0644, version
/// 2.1.0, absolute paths, [renewalparams]). archive/, live/, renewal/ are
/// created 0700. The conf is written last, so a failed creation leaves no
/// lineage behind. Temp files a killed writer left for `name` (and for
/// live/README) are removed first. Throws StorageError (name taken, I/O) or UsageError.
Lineage create_lineage(const TreePaths& paths, const std::string& name,
                       const CertificateFiles& files, const RenewalParams& params);

/// Store version N+1 (N = max_archive_version(), so numbering continues after
/// certbot's): write the four archive files (the new privkey keeps the group and
/// group bits of the current one), build live/.NAME.new beside live/NAME and
/// exchange the two directories in one step, then rewrite renewal/NAME.conf
/// with `params` (unknown keys kept) if that changes its text. Files in live/NAME
/// other than the four links, the README among them, are carried over. If
/// anything fails before the exchange, the new archive files and the temp
/// directory are removed and live/ is untouched. Last, old archive versions are
/// pruned (prune_archive in archive_prune.hpp; its failures are only logged).
/// Temp files a killed writer left for this lineage are removed first
/// (stale_temps.hpp). Returns N+1. Throws StorageError.
int save_successor(Lineage& lineage, const CertificateFiles& files, const RenewalParams& params);

/// The README certbot writes in live/ (`base`) and in each live/NAME.
std::string live_readme(bool base);

} // namespace certsmith::store
