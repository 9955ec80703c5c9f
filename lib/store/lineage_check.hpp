#pragma once
// Is a lineage's live set sound? certbot's own reading of a lineage (its
// RenewableCert checks and crypto_util.verify_renewable_cert) done without
// changing anything, and the version `update_symlinks` would repair it to.

#include "store/lineage.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace certsmith::store {

/// What check_lineage found.
struct LineageCheck {
  /// "" when the lineage is consistent; else the first thing found wrong, one
  /// line naming the file.
  std::string problem;
  /// The problem is what update_symlinks addresses: the live links themselves
  /// (missing, pointing outside the archive dir, at versions that disagree) or
  /// the archive file a link names (missing: the link dangles), not the
  /// contents of a complete version.
  bool live_links_problem = false;
  /// The version repair_live_links would point the links at (set only when
  /// live_links_problem and a repair is possible): see choose_repair_version.
  std::optional<int> repair_version;

  bool ok() const { return problem.empty(); }
  /// `certsmith update_symlinks` would make the lineage consistent.
  bool repairable() const { return live_links_problem && repair_version.has_value(); }
};

/// Check the lineage as loaded by Lineage::load_for_check: each of the four
/// links the conf names exists, is a symlink, points (relative or absolute) to
/// an archive file KIND<N>.pem of its own kind directly in the lineage's
/// archive_dir, all four at one N; then that version's files are consistent
/// (check_archive_version). Reads at most the four PEM files; never throws for
/// what it finds wrong (I/O errors become the problem too).
LineageCheck check_lineage(const TreePaths& paths, const Lineage& lineage);

/// "" when archive_dir holds version `version` of all four kinds as archive
/// files (see below) and they are consistent: the cert parses, the private
/// key matches it, fullchain is cert followed by chain, and cert is signed by
/// chain. Else why not, one line naming the file. An archive file is a
/// regular file or, as certbot follows them, a symlink that resolves to a
/// regular file inside the tree's archive/ (paths.archive_dir()).
std::string check_archive_version(const TreePaths& paths, const std::filesystem::path& archive_dir,
                                  int version);

/// "" when repair_live_links may rewrite the lineage's links: the conf names
/// all four by absolute path, in one directory directly inside config/live
/// (a directory, or not there yet), and its archive_dir is a directory (not a
/// symlink) directly inside config/archive. Else why not, one line. Only what
/// the conf names is judged: anywhere else (`cert = /srv/www/cert.pem`) is a
/// directory that is not certsmith's to replace.
std::string repair_placement_problem(const TreePaths& paths, const Lineage& lineage);

/// Where repair_live_links points the live links of `lineage`, never to a
/// version older than the newest one a link names (an older key may be
/// revoked, an older certificate expired). When the four links are symlinks
/// naming KIND<N>.pem for one N and archive_dir holds all four files of N, that
/// N (certbot's update_symlinks keeps each link's file name), provided
/// check_archive_version accepts it; otherwise (links missing, dangling or
/// disagreeing) the newest version check_archive_version accepts that is not
/// older than any version a link into archive_dir names. nullopt, with `why`
/// set to one line, when there is none (naming the missing or inconsistent
/// file of the version the links name), when repair_placement_problem objects,
/// or when an entry in a link's place is not a symlink (it may be a user's
/// file: never replaced).
std::optional<int> choose_repair_version(const TreePaths& paths, const Lineage& lineage,
                                         std::string& why);

} // namespace certsmith::store
