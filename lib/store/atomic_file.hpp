#pragma once
// Crash-safe file primitives: every file in the tree is written through
// write_file_atomic, so a reader sees the old content or the new, never half.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace certsmith::store {

/// Replace `path` with `content` in one step: a temp file beside it is created
/// with O_CREAT|O_EXCL|O_NOFOLLOW, given `mode` (and `group` when set) before the
/// first byte is written, fsynced, renamed over `path`, and the directory is
/// fsynced. The temp file is removed on failure. Throws StorageError.
/// For several files at once, FileBatch (file_batch.hpp) syncs them together.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode,
                       std::optional<gid_t> group = std::nullopt);

/// Create directory `dir` and its missing parents with exactly `mode` (umask
/// ignored); directories that already exist are left as they are. Throws
/// StorageError when a component exists and is not a directory.
void make_private_dirs(const std::filesystem::path& dir, mode_t mode);

/// Whole content of the regular file at `path` (symlinks followed). Throws
/// StorageError "PATH: no such file" / "PATH: larger than N bytes" /
/// "PATH: cannot read (reason)".
std::string read_file(const std::filesystem::path& path, std::size_t max_bytes);

/// fsync the directory `dir` so that renames and creations inside it are durable.
/// Throws StorageError.
void fsync_dir(const std::filesystem::path& dir);

/// A name for a temp entry beside `path` that no other writer picks:
/// ".<filename>.<suffix>.<random hex>".
std::filesystem::path temp_sibling(const std::filesystem::path& path, std::string_view suffix);

} // namespace certsmith::store
