#pragma once
// Temp files a killed writer of a lineage left behind (internal to store/).

#include <filesystem>
#include <string>

namespace certsmith::store {

/// Where the writes of one lineage put their temp files.
struct LineageDirs {
  std::string name;
  std::filesystem::path archive_dir; // archive/NAME, or the conf's archive_dir
  std::filesystem::path renewal_dir; // holds NAME.conf
  std::filesystem::path live_dir;    // live/ (its README), or empty to leave it alone
};

/// Remove the temp files that a write of lineage `dirs.name` killed midway
/// left, which the caller's tree lock proves stale: regular files owned by the
/// effective user named "." + TARGET + ".tmp." + 3 to 24 lowercase hex digits
/// (temp_sibling's scheme), where TARGET is {cert,privkey,chain,fullchain}N.pem
/// in archive_dir, NAME.conf in renewal_dir or README in live_dir (which only
/// create_lineage writes). Empty paths are skipped. Nothing else is touched; failures are ignored
/// (a leftover costs space, not correctness). Returns how many files were removed.
int remove_stale_temps(const LineageDirs& dirs);

} // namespace certsmith::store
