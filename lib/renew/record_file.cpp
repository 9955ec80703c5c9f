#include "renew/record_file.hpp"

#include <charconv>

namespace certsmith::renew {

namespace {

constexpr char k_hex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

bool needs_escape(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '%' || c == ',';
}

} // namespace

std::string escape_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    auto byte = static_cast<unsigned char>(c);
    if (needs_escape(byte)) {
      out += '%';
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out += field[i];
      continue;
    }
    if (i + 2 >= field.size())
      return std::nullopt;
    int high = hex_value(field[i + 1]);
    int low = hex_value(field[i + 2]);
    if (high < 0 || low < 0)
      return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += escape_field(items[i]);
  }
  return out;
}

std::optional<std::vector<std::string>> split_list(std::string_view field) {
  std::vector<std::string> items;
  if (field.empty())
    return items;
  for (;;) {
    auto comma = field.find(',');
    auto item = unescape_field(field.substr(0, comma));
    if (!item)
      return std::nullopt;
    items.push_back(std::move(*item));
    if (comma == std::string_view::npos)
      return items;
    field.remove_prefix(comma + 1);
  }
}

bool parse_records(std::string_view text, std::string_view magic, std::size_t field_count,
                   const std::function<bool(const std::vector<std::string_view>&)>& on_record) {
  // At least the magic line and one more line: the trailer.
  if (!text.starts_with(magic) || text.size() < magic.size() + 2 || text[magic.size()] != '\n' ||
      !text.ends_with('\n'))
    return false;
  text.remove_prefix(magic.size() + 1);
  text.remove_suffix(1);
  // The trailer first: a file cut short anywhere has no valid one.
  auto last_newline = text.rfind('\n');
  std::string_view trailer =
      last_newline == std::string_view::npos ? text : text.substr(last_newline + 1);
  const bool has_records = last_newline != std::string_view::npos;
  std::string_view body = has_records ? text.substr(0, last_newline) : std::string_view();
  if (!trailer.starts_with("end "))
    return false;
  auto expected = parse_integer_field(trailer.substr(4));
  if (!expected || *expected < 0)
    return false;

  long long count = 0;
  std::vector<std::string_view> fields;
  fields.reserve(field_count);
  for (std::size_t start = 0; has_records;) {
    auto newline = body.find('\n', start);
    std::string_view line = body.substr(start, newline - start);
    fields.clear();
    for (;;) {
      auto tab = line.find('\t');
      fields.push_back(line.substr(0, tab));
      if (tab == std::string_view::npos || fields.size() > field_count)
        break;
      line.remove_prefix(tab + 1);
    }
    if (fields.size() != field_count || ++count > *expected || !on_record(fields))
      return false;
    if (newline == std::string_view::npos)
      break;
    start = newline + 1;
  }
  return count == *expected;
}

RecordWriter::RecordWriter(std::string_view magic) : m_text(magic) {
  m_text += '\n';
}

void RecordWriter::add(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0)
      m_text += '\t';
    m_text += fields[i];
  }
  m_text += '\n';
  ++m_count;
}

std::string RecordWriter::finish() {
  m_text += "end " + std::to_string(m_count) + "\n";
  return std::move(m_text);
}

std::optional<long long> parse_integer_field(std::string_view field) {
  long long value = 0;
  auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || error != std::errc() || end != field.data() + field.size())
    return std::nullopt;
  return value;
}

std::optional<unsigned long long> parse_unsigned_field(std::string_view field) {
  unsigned long long value = 0;
  auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || error != std::errc() || end != field.data() + field.size())
    return std::nullopt;
  return value;
}

} // namespace certsmith::renew
