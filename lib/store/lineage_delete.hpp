#pragma once
// certbot's `delete`: remove every file of one lineage. Callers hold the tree
// lock (tree_lock.hpp).

#include "store/tree_paths.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <string>
#include <utility>

namespace certsmith::store {

/// No renewal conf for the name (certbot's "No certificate found with name X").
class LineageNotFound : public Error {
public:
  using Error::Error;
};

/// Throws UsageError for an invalid name and LineageNotFound ("No certificate
/// found with name NAME (expected renewal/NAME.conf).") when renewal/NAME.conf
/// does not exist.
void require_lineage_conf(const TreePaths& paths, const std::string& name);

/// delete_lineage will not go ahead; nothing has been changed (ExitCode::failure).
class DeleteRefused : public Error {
public:
  using Error::Error;
};

/// Another lineage's renewal conf names the same archive_dir (certbot's
/// OverlappingMatchFound): deleting would take that lineage's files too.
class SharedArchiveDir : public DeleteRefused {
public:
  SharedArchiveDir(const std::string& message, std::filesystem::path archive_dir)
      : DeleteRefused(message), m_archive_dir(std::move(archive_dir)) {}
  const std::filesystem::path& archive_dir() const { return m_archive_dir; }

private:
  std::filesystem::path m_archive_dir;
};

/// delete_lineage's refusals alone (UsageError, LineageNotFound, DeleteRefused,
/// SharedArchiveDir): for keep_lineage (kept_lineage.hpp), which writes first.
void check_delete_allowed(const TreePaths& paths, const std::string& name);

/// Delete lineage `name` as certbot's storage.delete_files does: renewal/NAME.conf
/// first (and renewal/ synced), so that a crash never leaves a conf naming
/// missing files; then, in live/NAME, only the four links the conf names and
/// README, and live/NAME itself only when that leaves it empty (files a user
/// added there stay, with an info line); then the conf's archive_dir with
/// everything in it. A conf that cannot be parsed stands for the default
/// layout (live/NAME/{cert,chain,fullchain,privkey}.pem, archive/NAME).
/// Symbolic links are never followed: a live/NAME or archive dir that is a link
/// is removed as a link, a named link that is not a link is left in place, and
/// nothing below those directories is reached through one. Links the conf
/// names outside live/NAME are left in place with a warning.
///
/// Refused before anything is touched: UsageError for an invalid name,
/// LineageNotFound when renewal/NAME.conf does not exist, DeleteRefused when
/// the conf's archive_dir is not a directory directly inside the config dir's
/// archive/ (nothing outside the tree is ever removed), SharedArchiveDir when
/// another lineage's conf names the same archive_dir. StorageError naming the
/// path for I/O failures. Fault points (fault_injection.hpp):
/// "delete:conf-removed", "delete:live-removed".
void delete_lineage(const TreePaths& paths, const std::string& name);

} // namespace certsmith::store
