#pragma once
// What the CA last said about each certificate's renewal window (RFC 9773),
// kept in the work dir so that a timer firing twice a day asks no more often
// than the CA's Retry-After allows. Not thread-safe.

#include "acme/ari.hpp"
#include "renew/due.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::renew {

struct AriCacheEntry {
  std::optional<AriWindow> window; // the last window the CA gave, if it ever answered
  std::string explanation_url;     // untrusted: escape before printing
  TimePoint fetched_at;            // the last attempt, answered or not
  TimePoint next_fetch;            // do not ask again before this
  bool operator==(const AriCacheEntry&) const = default;
};

class AriCache {
public:
  /// work_dir/ari-cache.
  static std::filesystem::path default_path(const store::TreePaths& paths);

  /// Read the cache at path; a missing or malformed file gives an empty cache.
  static AriCache load(std::filesystem::path path);

  /// The entry of certificate cert_id (an ARI certificate ID), or nullptr.
  const AriCacheEntry* find(const std::string& cert_id) const;

  /// True when the CA may be asked about cert_id now: no entry, its
  /// next_fetch has passed, or it lies implausibly far ahead (more than a day,
  /// RFC 9773 §4.3.2's cap, e.g. after the clock was set back).
  bool may_fetch(const std::string& cert_id, TimePoint now) const;

  /// Remember an answer: the next fetch is after its Retry-After (already
  /// clamped by acme), or k_default_ari_retry_after without one (§4.3.3).
  void record_answer(const std::string& cert_id, const acme::RenewalInfo& info, TimePoint now);
  /// Remember a failed attempt (§4.3.3): the last window is kept, next fetch in six hours.
  void record_failure(const std::string& cert_id, TimePoint now);

  /// True while the CA at directory_url is remembered to offer no renewalInfo.
  bool server_lacks_ari(const std::string& directory_url, TimePoint now) const;
  /// Remember for six hours that the CA at directory_url offers no renewalInfo.
  void record_server_without_ari(const std::string& directory_url, TimePoint now);

  /// Keep only the certificates in cert_ids (RFC 9773 §4.3: stop checking
  /// replaced certificates) and server notes still in force at now.
  void retain(const std::vector<std::string>& cert_ids, TimePoint now);

  /// Write the cache (0600, temp file + rename) when it changed. Throws
  /// StorageError; callers treat that as a warning.
  void save();

  std::size_t size() const { return m_certificates.size(); }
  bool dirty() const { return m_dirty; }

private:
  explicit AriCache(std::filesystem::path path) : m_path(std::move(path)) {}
  bool parse(std::string_view text);

  std::filesystem::path m_path;
  std::map<std::string, AriCacheEntry> m_certificates;
  std::map<std::string, TimePoint> m_servers_without_ari; // directory URL -> until
  bool m_dirty = false;
};

} // namespace certsmith::renew
