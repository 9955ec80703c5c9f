#pragma once
// What `delete` keeps for reuse (issue 7: Cloudron keeps certificates on
// uninstall so that a reinstall does not spend the CA's rate limit): the
// lineage's current certificate, chain, fullchain and key and its renewal conf,
// under CONFIG_DIR/certsmith/kept/NAME/, outside certbot's live/ archive/
// renewal/ so that certbot (which refuses a new lineage whose archive/NAME
// exists) still reads and extends the tree. Callers hold the tree lock.

#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::store {

/// CONFIG_DIR/certsmith/kept (0700, like every directory certsmith owns there).
std::filesystem::path kept_dir(const TreePaths& paths);

/// certsmith/ or certsmith/kept/ (or an entry in it) is a symbolic link, not a
/// directory, owned by another user, or writable by group or others: nothing in
/// it is trusted or written (ExitCode::failure).
class KeptDirUnsafe : public Error {
public:
  using Error::Error;
};

/// Keep lineage `name`, then delete it (delete_lineage, lineage_delete.hpp).
/// The four files of its current version are hard-linked (same filesystem, so
/// no copy and no window where a key exists twice with other modes) and its
/// conf copied into kept/.NAME.partial, which is renamed to kept/NAME (an older
/// kept/NAME is removed first); only then does delete_lineage remove the
/// lineage, conf first. A crash before that rename leaves the lineage whole
/// (and a .partial that the next keep_lineage removes); after it, kept/NAME is
/// whole. Throws what delete_lineage throws (its refusals checked before
/// anything is written: check_delete_allowed), KeptDirUnsafe, and
/// StorageError when the current version's files are not regular files.
/// Fault points: "keep:staged" (before the rename), "keep:published" (after).
void keep_lineage(const TreePaths& paths, const std::string& name);

/// One kept entry as read from disk; nothing in it is checked beyond being
/// regular files of bounded size (the caller judges the certificate).
struct KeptEntry {
  std::string name; // the deleted lineage's name (kept/NAME)
  CertificateFiles files;
  RenewalParams params;
};

/// Names in kept/ that validate_cert_name accepts (staging ".NAME.partial"
/// entries are not), sorted. Empty when kept/ does not exist. Throws
/// KeptDirUnsafe.
std::vector<std::string> list_kept(const TreePaths& paths);

/// Read kept/NAME without following any symbolic link. Throws KeptDirUnsafe
/// (the entry is a link, another user's, ...), StorageError (a file missing,
/// not regular, too large, a conf that does not parse).
KeptEntry read_kept(const TreePaths& paths, const std::string& name);

/// Remove kept/NAME and everything in it, following no link. Throws StorageError.
void remove_kept(const TreePaths& paths, const std::string& name);

} // namespace certsmith::store
