#pragma once
// Removing old versions from a lineage's archive directory, as certbot 2.3+
// does after each renewal (RenewableCert.truncate): the current version and the
// `keep_previous` numbers below it stay, older ones go.

#include "store/lineage.hpp"

namespace certsmith::store {

/// Certbot's default: the current version and the 5 before it are kept.
inline constexpr int k_archive_versions_kept_before_current = 5;

/// Delete archive/NAME/{cert,chain,fullchain,privkey}N.pem for every N below
/// latest_version() - keep_previous (negative counts as 0). Never deleted: a
/// version any of the four live links names, a file any live link resolves to
/// (matched by device and inode), anything that is not a regular file, and any
/// name other than the exact "<kind><N>.pem" (so "cert1.pem.bak" and
/// "privkey01.pem" stay). When a live link does not resolve nothing is deleted.
/// Never throws: failures are logged as warnings (the renewal already
/// succeeded). Returns the number of files deleted.
int prune_archive(const Lineage& lineage,
                  int keep_previous = k_archive_versions_kept_before_current) noexcept;

} // namespace certsmith::store
