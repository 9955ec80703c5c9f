#include "renew/ari_cache.hpp"

#include "renew/record_file.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"

#include <set>

namespace certsmith::renew {

namespace {

constexpr std::string_view k_magic = "certsmith-ari-cache 1";
// kind, key, window start, window end, explanation URL, fetched at, next fetch
constexpr std::size_t k_fields = 7;
constexpr std::size_t k_max_cache_bytes = 64u << 20;

std::string time_to_field(TimePoint when) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count());
}

std::optional<TimePoint> field_to_time(std::string_view field) {
  auto value = parse_integer_field(field);
  if (!value)
    return std::nullopt;
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(*value)));
}

} // namespace

std::filesystem::path AriCache::default_path(const store::TreePaths& paths) {
  return paths.work_dir / "ari-cache";
}

AriCache AriCache::load(std::filesystem::path path) {
  AriCache cache(std::move(path));
  std::string text;
  try {
    text = store::read_file(cache.m_path, k_max_cache_bytes);
  } catch (const StorageError&) {
    return cache;
  }
  if (!cache.parse(text)) {
    cache.m_certificates.clear();
    cache.m_servers_without_ari.clear();
    cache.m_dirty = true;
  }
  return cache;
}

bool AriCache::parse(std::string_view text) {
  return parse_records(text, k_magic, k_fields, [this](const std::vector<std::string_view>& f) {
    auto key = unescape_field(f[1]);
    auto fetched_at = field_to_time(f[5]);
    auto next_fetch = field_to_time(f[6]);
    if (!key || key->empty() || !fetched_at || !next_fetch)
      return false;
    if (f[0] == "server")
      return m_servers_without_ari.emplace(std::move(*key), *next_fetch).second;
    if (f[0] != "cert" || !acme::is_ari_certificate_id(*key))
      return false;
    AriCacheEntry entry{std::nullopt, "", *fetched_at, *next_fetch};
    if (f[2] != "-" || f[3] != "-") {
      auto start = field_to_time(f[2]);
      auto end = field_to_time(f[3]);
      if (!start || !end || *end <= *start)
        return false;
      entry.window = AriWindow{*start, *end};
    }
    auto explanation = unescape_field(f[4]);
    if (!explanation)
      return false;
    entry.explanation_url = std::move(*explanation);
    return m_certificates.emplace(std::move(*key), std::move(entry)).second;
  });
}

const AriCacheEntry* AriCache::find(const std::string& cert_id) const {
  auto it = m_certificates.find(cert_id);
  return it == m_certificates.end() ? nullptr : &it->second;
}

bool AriCache::may_fetch(const std::string& cert_id, TimePoint now) const {
  const AriCacheEntry* entry = find(cert_id);
  return entry == nullptr || now >= entry->next_fetch ||
         entry->next_fetch > now + acme::k_max_ari_retry_after;
}

void AriCache::record_answer(const std::string& cert_id, const acme::RenewalInfo& info,
                             TimePoint now) {
  auto wait = info.retry_after.value_or(acme::k_default_ari_retry_after);
  m_certificates[cert_id] = AriCacheEntry{AriWindow{info.window_start, info.window_end},
                                          info.explanation_url, now, now + wait};
  m_dirty = true;
}

void AriCache::record_failure(const std::string& cert_id, TimePoint now) {
  AriCacheEntry& entry = m_certificates[cert_id];
  entry.fetched_at = now;
  entry.next_fetch = now + acme::k_default_ari_retry_after;
  m_dirty = true;
}

bool AriCache::server_lacks_ari(const std::string& directory_url, TimePoint now) const {
  auto it = m_servers_without_ari.find(directory_url);
  return it != m_servers_without_ari.end() && now < it->second &&
         it->second <= now + acme::k_max_ari_retry_after;
}

void AriCache::record_server_without_ari(const std::string& directory_url, TimePoint now) {
  m_servers_without_ari[directory_url] = now + acme::k_default_ari_retry_after;
  m_dirty = true;
}

void AriCache::retain(const std::vector<std::string>& cert_ids, TimePoint now) {
  std::set<std::string_view> keep(cert_ids.begin(), cert_ids.end());
  auto before = m_certificates.size() + m_servers_without_ari.size();
  std::erase_if(m_certificates, [&](const auto& item) { return !keep.contains(item.first); });
  std::erase_if(m_servers_without_ari, [&](const auto& item) { return item.second <= now; });
  if (m_certificates.size() + m_servers_without_ari.size() != before)
    m_dirty = true;
}

void AriCache::save() {
  if (!m_dirty)
    return;
  RecordWriter writer(k_magic);
  for (const auto& [url, until] : m_servers_without_ari)
    writer.add(
        {"server", escape_field(url), "-", "-", "", time_to_field(until), time_to_field(until)});
  for (const auto& [cert_id, entry] : m_certificates)
    writer.add(
        {"cert", escape_field(cert_id), entry.window ? time_to_field(entry.window->start) : "-",
         entry.window ? time_to_field(entry.window->end) : "-", escape_field(entry.explanation_url),
         time_to_field(entry.fetched_at), time_to_field(entry.next_fetch)});
  store::make_private_dirs(m_path.parent_path(), 0700);
  store::write_file_atomic(m_path, writer.finish(), 0600);
  m_dirty = false;
}

} // namespace certsmith::renew
