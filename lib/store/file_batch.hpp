#pragma once
// Several files made durable together. Each fsync in a row costs a journal
// commit or a disk cache flush, so a batch writes every temp file first,
// starts their writeback together, fsyncs them concurrently (sharing one
// commit), renames them into place and fsyncs each directory once.
//
// Ordering contract: a file's content is durable before the rename that makes
// it reachable is issued, and publish() returns only after the renames are
// durable. Callers order publish() calls to order visibility.

#include <filesystem>
#include <optional>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace certsmith::store {

/// One file of write_files_atomic: `content` to `path` with `mode` (and `group` when set).
struct FileToWrite {
  std::filesystem::path path;
  std::string_view content;
  mode_t mode = 0600;
  std::optional<gid_t> group;
};

class FileBatch {
public:
  FileBatch() = default;
  FileBatch(const FileBatch&) = delete;
  FileBatch& operator=(const FileBatch&) = delete;
  /// Removes every temp file not yet published.
  ~FileBatch();

  /// Write `content` to a new temp file beside `path` (O_EXCL|O_NOFOLLOW, `mode`
  /// and `group` set before the first byte) and start its writeback. The target
  /// is not touched. Throws StorageError naming `path`.
  void stage(const std::filesystem::path& path, std::string_view content, mode_t mode,
             std::optional<gid_t> group = std::nullopt);

  /// fsync every staged temp file not yet synced, all at once (one thread each),
  /// so that they share a journal commit. On failure every unpublished temp file
  /// is removed and cannot be published. Throws StorageError.
  void sync();

  /// Sync what is still unsynced, rename the staged files whose directory is one
  /// of `dirs` over their targets (in staging order), then fsync each of `dirs`
  /// once, whether or not it had staged files (so a caller's own rename in one
  /// of them is made durable too). On failure the files already renamed stay
  /// (each complete) and the remaining temp files are removed. Throws StorageError.
  void publish(const std::vector<std::filesystem::path>& dirs);

  /// publish() for the directories of all staged, unpublished files.
  void publish();

private:
  struct Staged {
    std::filesystem::path target;
    std::filesystem::path temp;
    int fd = -1;
    bool published = false;
  };

  void discard(Staged& file) noexcept;

  std::vector<Staged> m_files;
};

/// Replace each file of `files` as write_file_atomic does, with one fsync per
/// file and one per distinct directory. Fault point "batch:before-rename" comes
/// after every file is synced and before the first rename. Throws StorageError;
/// on failure no temp file is left behind.
void write_files_atomic(const std::vector<FileToWrite>& files);

} // namespace certsmith::store
