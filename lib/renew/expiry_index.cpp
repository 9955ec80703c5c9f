#include "renew/expiry_index.hpp"

#include "crypto/base64url.hpp"
#include "crypto/certificate.hpp"
#include "renew/record_file.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unordered_set>

namespace certsmith::renew {

namespace {

constexpr std::string_view k_magic = "certsmith-expiry-index 1";
// name, device, inode, size, mtime, ctime, not_before, not_after, serial, aki, serial DER, names
constexpr std::size_t k_fields = 12;
// 10,000 lineages of 100 long names each stay under this; beyond it the index is rebuilt.
constexpr std::size_t k_max_index_bytes = 256u << 20;
constexpr std::size_t k_max_cert_bytes = 1u << 20;

using std::chrono::system_clock;

std::int64_t to_ns(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

std::string seconds_field(system_clock::time_point when) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
}

std::optional<system_clock::time_point> time_field(std::string_view field) {
  auto seconds = parse_integer_field(field);
  // Keep to what system_clock's nanoseconds hold (years 1678..2262).
  if (!seconds || *seconds < -9'223'372'036LL || *seconds > 9'223'372'036LL)
    return std::nullopt;
  return system_clock::time_point(std::chrono::seconds(*seconds));
}

std::optional<std::string> bytes_field(std::string_view field) {
  if (field == "-")
    return std::string();
  if (field.empty())
    return std::nullopt;
  return crypto::base64url_decode(field);
}

bool is_serial_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string bytes_to_field(std::string_view bytes) {
  return bytes.empty() ? std::string("-") : crypto::base64url_encode(bytes);
}

} // namespace

std::optional<FileIdentity> identify_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                      static_cast<std::int64_t>(st.st_size), to_ns(st.st_mtim), to_ns(st.st_ctim)};
}

std::filesystem::path ExpiryIndex::default_path(const store::TreePaths& paths) {
  return paths.work_dir / "expiry-index";
}

ExpiryIndex ExpiryIndex::load(std::filesystem::path path) {
  ExpiryIndex index(std::move(path));
  std::string text;
  try {
    text = store::read_file(index.m_path, k_max_index_bytes);
  } catch (const StorageError&) {
    return index;
  }
  if (!index.parse(text)) {
    index.m_entries.clear();
    index.m_dirty = true; // replace the broken file at the next save
  }
  return index;
}

bool ExpiryIndex::parse(std::string_view text) {
  return parse_records(text, k_magic, k_fields, [this](const std::vector<std::string_view>& f) {
    auto name = unescape_field(f[0]);
    auto device = parse_unsigned_field(f[1]);
    auto inode = parse_unsigned_field(f[2]);
    auto size = parse_integer_field(f[3]);
    auto mtime = parse_integer_field(f[4]);
    auto ctime = parse_integer_field(f[5]);
    auto not_before = time_field(f[6]);
    auto not_after = time_field(f[7]);
    auto serial_hex = unescape_field(f[8]);
    auto aki = bytes_field(f[9]);
    auto serial_der = bytes_field(f[10]);
    auto names = split_list(f[11]);
    if (!name || name->empty() || !device || !inode || !size || !mtime || !ctime || !not_before ||
        !not_after || !serial_hex || !is_serial_hex(*serial_hex) || !aki || !serial_der || !names)
      return false;
    Entry entry{FileIdentity{*device, *inode, *size, *mtime, *ctime},
                IndexedCertificate{*not_before, *not_after, std::move(*names),
                                   std::move(*serial_hex), std::move(*aki),
                                   std::move(*serial_der)}};
    return m_entries.emplace(std::move(*name), std::move(entry)).second; // duplicates: corrupt
  });
}

const IndexedCertificate& ExpiryIndex::facts_for(const store::Lineage& lineage) {
  return facts_for(lineage.name(), lineage.cert_path());
}

const IndexedCertificate& ExpiryIndex::facts_for(const std::string& name,
                                                 const std::filesystem::path& cert_link) {
  auto identity = identify_file(cert_link);
  auto found = m_entries.find(name);
  if (identity && found != m_entries.end() && found->second.identity == *identity) {
    ++m_hits;
    return found->second.facts;
  }
  ++m_misses;
  std::string pem = store::read_file(cert_link, k_max_cert_bytes);
  crypto::CertificateFacts facts = crypto::read_certificate(pem);
  IndexedCertificate indexed{facts.not_before, facts.not_after,        facts.dns_names,
                             facts.serial_hex, facts.authority_key_id, facts.serial_der};
  indexed.names.insert(indexed.names.end(), facts.ip_addresses.begin(), facts.ip_addresses.end());
  if (!identity) { // raced with a change: answer, but do not remember
    m_entries.erase(name);
    auto [it, inserted] = m_entries.emplace(name, Entry{FileIdentity{}, std::move(indexed)});
    (void)inserted;
    m_dirty = true;
    return it->second.facts;
  }
  Entry& entry = m_entries[name];
  entry = Entry{*identity, std::move(indexed)};
  m_dirty = true;
  return entry.facts;
}

void ExpiryIndex::retain(const std::vector<std::string>& names) {
  std::unordered_set<std::string_view> keep(names.begin(), names.end());
  std::erase_if(m_entries, [&](const auto& item) {
    bool drop = !keep.contains(item.first);
    m_dirty = m_dirty || drop;
    return drop;
  });
}

void ExpiryIndex::save() {
  if (!m_dirty)
    return;
  // Sorted, so that the file is stable and diffable.
  std::vector<const std::pair<const std::string, Entry>*> sorted;
  sorted.reserve(m_entries.size());
  for (const auto& item : m_entries)
    sorted.push_back(&item);
  std::sort(sorted.begin(), sorted.end(), [](auto a, auto b) { return a->first < b->first; });
  RecordWriter writer(k_magic);
  for (const auto* item : sorted) {
    const Entry& entry = item->second;
    writer.add({escape_field(item->first), std::to_string(entry.identity.device),
                std::to_string(entry.identity.inode), std::to_string(entry.identity.size),
                std::to_string(entry.identity.mtime_ns), std::to_string(entry.identity.ctime_ns),
                seconds_field(entry.facts.not_before), seconds_field(entry.facts.not_after),
                escape_field(entry.facts.serial_hex), bytes_to_field(entry.facts.authority_key_id),
                bytes_to_field(entry.facts.serial_der), join_list(entry.facts.names)});
  }
  store::make_private_dirs(m_path.parent_path(), 0700);
  store::write_file_atomic(m_path, writer.finish(), 0600);
  m_dirty = false;
}

} // namespace certsmith::renew
