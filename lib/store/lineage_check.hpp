#pragma once
// Is a lineage's live set sound? certbot's own reading of a lineage (its
// RenewableCert checks and crypto_util.verify_renewable_cert) done without
// changing anything, and the version `update_symlinks` would repair it to.

#include "store/lineage.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace certsmith::store {

/// What check_lineage found.
struct LineageCheck {
  /// "" when the lineage is consistent; else the first thing found wrong, one
  /// line naming the file.
  std::string problem;
  /// The problem is in the live links (missing, dangling, pointing outside the
  /// archive dir, at versions that disagree), not in what they point to.
  bool links_broken = false;
  /// The version repair_live_links would point the links at (set only when
  /// links_broken and a repair is possible): see choose_repair_version.
  std::optional<int> repair_version;

  bool ok() const { return problem.empty(); }
  /// `certsmith update_symlinks` would make the lineage consistent.
  bool repairable() const { return links_broken && repair_version.has_value(); }
};

/// Check the lineage as loaded by Lineage::load_for_check: each of the four
/// links the conf names exists, is a symlink, points (relative or absolute) to
/// a regular file KIND<N>.pem of its own kind directly in the lineage's
/// archive_dir, all four at one N; then that version's files are consistent
/// (check_archive_version). Reads at most the four PEM files; never throws for
/// what it finds wrong (I/O errors become the problem too).
LineageCheck check_lineage(const Lineage& lineage);

/// "" when archive_dir holds version `version` of all four kinds as regular
/// files (no symlinks) and they are consistent: the cert parses, the private
/// key matches it, fullchain is cert followed by chain, and cert is signed by
/// chain. Else why not, one line naming the file.
std::string check_archive_version(const std::filesystem::path& archive_dir, int version);

/// Where repair_live_links points the live links of `lineage`. When the four
/// links are symlinks naming KIND<N>.pem for one N and archive_dir holds all
/// four files of N, that N (certbot's update_symlinks keeps each link's file
/// name), provided check_archive_version accepts it; otherwise (links missing,
/// dangling or disagreeing) the newest version check_archive_version accepts.
/// nullopt, with `why` set to one line, when there is none or when an entry in
/// the link's place is not a symlink (it may be a user's file: never replaced).
std::optional<int> choose_repair_version(const Lineage& lineage, std::string& why);

} // namespace certsmith::store
