#pragma once
// Building and switching a lineage's set of live links (internal to store/):
// shared by save_successor, which switches to a new version, and
// repair_live_links, which points a broken set back at a complete one.

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::store {

/// True when anything, even a dangling symlink, is at `path`.
bool present(const std::filesystem::path& path);

/// True when `path` is a regular file (a symlink to one does not count).
bool regular_file_at(const std::filesystem::path& path);

/// archive/NAME/KIND<version>.pem, KIND being k_lineage_kinds[kind].
std::filesystem::path archive_file(const std::filesystem::path& archive, std::size_t kind,
                                   int version);

/// symlink(2) `link` -> `target`. Throws StorageError naming the link.
void make_symlink(const std::filesystem::path& target, const std::filesystem::path& link);

/// Builds the next live set in `pending` (created with `mode`): one relative
/// symlink per kind, named link_names[kind], to version `version` in `archive`
/// (relative to `live`, where it will end up).
void build_live_set(const std::filesystem::path& pending, const std::filesystem::path& live,
                    const std::filesystem::path& archive, int version,
                    const std::array<std::string, 4>& link_names, mode_t mode);

/// Files a user or tool put in `live` survive the switch (and so does the
/// README, as with certbot): regular files are hard-linked into `pending`
/// (copied and synced if that fails), symlinks recreated; entries already in
/// `pending` are left alone. Returns the directories, to be moved across right
/// after the exchange. Throws StorageError.
std::vector<std::string> carry_extras(const std::filesystem::path& live,
                                      const std::filesystem::path& pending);

/// Filesystems without RENAME_EXCHANGE: switch each link with its own rename,
/// which is atomic per file (what certbot does for the whole set). Throws StorageError.
void switch_links_one_by_one(const std::filesystem::path& pending,
                             const std::filesystem::path& live,
                             const std::array<std::string, 4>& link_names);

} // namespace certsmith::store
