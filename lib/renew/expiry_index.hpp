#pragma once
// A cache in the work dir of what `renew` needs from each lineage's current
// certificate, so a run with nothing due opens no PEM file: each entry is
// keyed by the identity (device, inode, size, mtime, ctime) of the file the
// cert.pem link resolves to, and re-read from the certificate when that
// identity changes. Not thread-safe: one run, one thread consulting it.

#include "store/lineage.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace certsmith::renew {

/// What identifies one version of a file without reading it (stat(2), links followed).
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

/// The identity of `path` (symlinks followed); nullopt when it cannot be stat'ed.
std::optional<FileIdentity> identify_file(const std::filesystem::path& path);

/// The facts of a lineage's current certificate that renewal uses.
struct IndexedCertificate {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::vector<std::string> names; // DNS names, then IP addresses, as in the certificate
  std::string serial_hex;         // as crypto::CertificateFacts
  std::string authority_key_id;   // raw bytes, "" when absent
  std::string serial_der;         // raw DER content octets
  bool operator==(const IndexedCertificate&) const = default;
};

class ExpiryIndex {
public:
  /// work_dir/expiry-index.
  static std::filesystem::path default_path(const store::TreePaths& paths);

  /// Read the index at path. A missing, unreadable, truncated, oversized or
  /// otherwise malformed file gives an empty index (it is rebuilt as lineages
  /// are looked up), never an error.
  static ExpiryIndex load(std::filesystem::path path);

  /// Facts of the certificate lineage.cert_path() resolves to: from the index
  /// when the file's identity matches, else read and parsed (and the index
  /// updated). The reference stays valid until retain() or the next lookup of
  /// the same name. Throws StorageError / CryptoError when the certificate
  /// cannot be read or parsed.
  const IndexedCertificate& facts_for(const store::Lineage& lineage);
  /// The same for lineage `name` whose cert link is cert_link.
  const IndexedCertificate& facts_for(const std::string& name,
                                      const std::filesystem::path& cert_link);

  /// Drop the entries of lineages not in names (deleted lineages).
  void retain(const std::vector<std::string>& names);

  /// Write the index (0600, temp file + rename) when it changed since load.
  /// Throws StorageError; callers treat that as a warning: the index is a cache.
  void save();

  std::size_t size() const { return m_entries.size(); }
  bool dirty() const { return m_dirty; }
  /// Lookups answered from the index / by parsing the certificate, for -v and benchmarks.
  std::size_t hits() const { return m_hits; }
  std::size_t misses() const { return m_misses; }

private:
  struct Entry {
    FileIdentity identity;
    IndexedCertificate facts;
  };

  explicit ExpiryIndex(std::filesystem::path path) : m_path(std::move(path)) {}
  bool parse(std::string_view text);

  std::filesystem::path m_path;
  std::unordered_map<std::string, Entry> m_entries;
  bool m_dirty = false;
  std::size_t m_hits = 0;
  std::size_t m_misses = 0;
};

} // namespace certsmith::renew
