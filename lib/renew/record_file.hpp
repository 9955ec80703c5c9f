#pragma once
// The compact text format of the work-dir caches (expiry index, ARI cache):
// a magic line, one record per line with tab-separated fields, and an
// "end <count>" trailer, so a truncated or foreign file is recognised and
// thrown away whole. Far cheaper to load than JSON at 10,000 records.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::renew {

/// Field escaping: bytes <= 0x20, 0x7f, '%' and ',' become %XX, so a field
/// holds no tab, newline or list separator.
std::string escape_field(std::string_view field);
/// Inverse of escape_field; nullopt for a '%' not followed by two hex digits.
std::optional<std::string> unescape_field(std::string_view field);

/// Items joined with ',' (each escaped); "" for none.
std::string join_list(const std::vector<std::string>& items);
/// Inverse of join_list; nullopt when an item does not unescape.
std::optional<std::vector<std::string>> split_list(std::string_view field);

/// Calls on_record with the raw (still escaped) fields of every record when
/// text starts with the line `magic`, ends with "end <count>\n" naming the
/// number of records, and every record has exactly field_count fields. Returns
/// false, having called on_record for at most a prefix, when any check fails
/// or on_record returns false; the caller then discards what it collected.
bool parse_records(std::string_view text, std::string_view magic, std::size_t field_count,
                   const std::function<bool(const std::vector<std::string_view>&)>& on_record);

/// Builds such a file. Fields must already be escaped.
class RecordWriter {
public:
  explicit RecordWriter(std::string_view magic);
  void add(const std::vector<std::string>& fields);
  /// The whole file, trailer included.
  std::string finish();

private:
  std::string m_text;
  std::size_t m_count = 0;
};

/// Decimal integer field (optionally negative); nullopt when malformed or out of range.
std::optional<long long> parse_integer_field(std::string_view field);
/// Decimal unsigned 64-bit field; nullopt when malformed or out of range.
std::optional<unsigned long long> parse_unsigned_field(std::string_view field);

} // namespace certsmith::renew
