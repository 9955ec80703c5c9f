#include "store/config_obj.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::store {

namespace {

// configobj's wspace_plus: a value starting or ending with one of these needs quotes.
constexpr std::string_view k_quote_trigger = " \r\n\v\t'\"";

bool has(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

std::string single_quoted(std::string_view value) {
  if (has(value, "'") && has(value, "\"")) {
    throw StorageError(fmt::format("value \"{}\" cannot be quoted", value));
  }
  return has(value, "\"") ? fmt::format("'{}'", value) : fmt::format("\"{}\"", value);
}

// Keys and section names: quoted like list items, and also when they could be
// mistaken for a divider or a section marker on reading.
std::string quote_name(std::string_view name) {
  if (name.empty()) {
    throw StorageError("an empty key cannot be written");
  }
  std::string quoted = quote_config_value(name, false);
  if (quoted.front() != '"' && quoted.front() != '\'' &&
      (has(name, "=") || has(name, "[") || has(name, "]"))) {
    quoted = single_quoted(name);
  }
  return quoted;
}

} // namespace

std::string quote_config_value(std::string_view value, bool multiline) {
  if (value.empty()) {
    return "\"\"";
  }
  bool need_triple = multiline && ((has(value, "'") && has(value, "\"")) || has(value, "\n"));
  if (need_triple) {
    if (!has(value, "'''")) {
      return fmt::format("'''{}'''", value);
    }
    if (!has(value, "\"\"\"")) {
      return fmt::format("\"\"\"{}\"\"\"", value);
    }
    throw StorageError(fmt::format("value \"{}\" cannot be quoted", value));
  }
  if (has(value, "\n")) {
    throw StorageError("a list item or key cannot hold a line break");
  }
  bool bare = !has(k_quote_trigger, value.substr(0, 1)) &&
              !has(k_quote_trigger, value.substr(value.size() - 1)) && !has(value, ",") &&
              !has(value, "#");
  return bare ? std::string(value) : single_quoted(value);
}

std::string render_config_value(const ConfigValue& value) {
  if (!value.is_list) {
    return quote_config_value(value.items.empty() ? "" : value.items.front(), true);
  }
  if (value.items.empty()) {
    return ",";
  }
  if (value.items.size() == 1) {
    return quote_config_value(value.items.front(), false) + ",";
  }
  std::string out;
  for (const auto& item : value.items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += quote_config_value(item, false);
  }
  return out;
}

Section::Entry* Section::find_entry(std::string_view key) {
  auto it = std::find_if(m_entries.begin(), m_entries.end(),
                         [&](const Entry& entry) { return entry.key == key; });
  return it == m_entries.end() ? nullptr : &*it;
}

const Section::Entry* Section::find_entry(std::string_view key) const {
  return const_cast<Section*>(this)->find_entry(key);
}

std::optional<ConfigValue> Section::value(std::string_view key) const {
  if (const Entry* entry = find_entry(key)) {
    return entry->value;
  }
  return std::nullopt;
}

std::optional<std::string> Section::get(std::string_view key) const {
  const Entry* entry = find_entry(key);
  if (entry == nullptr) {
    return std::nullopt;
  }
  if (!entry->value.is_list) {
    return entry->value.items.front();
  }
  std::string joined;
  for (const auto& item : entry->value.items) {
    if (!joined.empty()) {
      joined += ", ";
    }
    joined += item;
  }
  return joined;
}

std::vector<std::string> Section::get_list(std::string_view key) const {
  const Entry* entry = find_entry(key);
  if (entry == nullptr) {
    return {};
  }
  if (!entry->value.is_list && entry->value.items.front().empty()) {
    return {};
  }
  return entry->value.items;
}

void Section::assign(std::string_view key, ConfigValue value) {
  if (Entry* entry = find_entry(key)) {
    if (entry->value != value) {
      entry->value = std::move(value);
      entry->raw.clear();
    }
    return;
  }
  // configobj lets a value replace a subsection of the same name.
  erase(key);
  Entry entry;
  entry.key = std::string(key);
  entry.value = std::move(value);
  entry.key_text = quote_name(key);
  if (!m_entries.empty()) {
    entry.indent = m_entries.back().indent;
  }
  m_entries.push_back(std::move(entry));
}

void Section::set(std::string_view key, std::string value) {
  assign(key, ConfigValue{false, {std::move(value)}});
}

void Section::set_list(std::string_view key, std::vector<std::string> values) {
  assign(key, ConfigValue{true, std::move(values)});
}

bool Section::erase(std::string_view key) {
  auto entry = std::find_if(m_entries.begin(), m_entries.end(),
                            [&](const Entry& e) { return e.key == key; });
  if (entry != m_entries.end()) {
    m_entries.erase(entry);
    return true;
  }
  auto sub = std::find_if(m_sections.begin(), m_sections.end(),
                          [&](const Section& s) { return s.m_name == key; });
  if (sub != m_sections.end()) {
    m_sections.erase(sub);
    return true;
  }
  return false;
}

Section* Section::section(std::string_view name) {
  auto it = std::find_if(m_sections.begin(), m_sections.end(),
                         [&](const Section& s) { return s.m_name == name; });
  return it == m_sections.end() ? nullptr : &*it;
}

const Section* Section::section(std::string_view name) const {
  return const_cast<Section*>(this)->section(name);
}

Section& Section::ensure_section(std::string_view name) {
  if (Section* existing = section(name)) {
    return *existing;
  }
  erase(name);
  quote_name(name); // refuse names that could not be written back
  m_sections.emplace_back(std::string(name), m_depth + 1);
  return m_sections.back();
}

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : m_entries) {
    out.push_back(entry.key);
  }
  return out;
}

std::vector<std::string> Section::sections() const {
  std::vector<std::string> out;
  for (const auto& sub : m_sections) {
    out.push_back(sub.m_name);
  }
  return out;
}

void Section::set_comment(std::string_view key, std::vector<std::string> lines) {
  if (Entry* entry = find_entry(key)) {
    entry->leading = std::move(lines);
  } else if (Section* sub = section(key)) {
    sub->m_leading = std::move(lines);
  }
}

void Section::render(std::vector<std::string>& out, bool crlf) const {
  const std::string eol = crlf ? "\r" : "";
  // Lines of a CRLF file are stored without their '\r'; other files keep any '\r' in the line.
  auto emit = [&](const std::string& line) { out.push_back(line + eol); };
  for (const auto& entry : m_entries) {
    for (const auto& line : entry.leading) {
      emit(line);
    }
    if (!entry.raw.empty()) {
      for (const auto& line : entry.raw) {
        emit(line);
      }
    } else {
      emit(fmt::format("{}{} = {}{}", entry.indent, entry.key_text,
                       render_config_value(entry.value), entry.comment));
    }
  }
  for (const auto& sub : m_sections) {
    for (const auto& line : sub.m_leading) {
      emit(line);
    }
    if (!sub.m_header_raw.empty()) {
      emit(sub.m_header_raw);
    } else {
      std::string open(static_cast<std::size_t>(sub.m_depth), '[');
      std::string close(static_cast<std::size_t>(sub.m_depth), ']');
      emit(open + quote_name(sub.m_name) + close);
    }
    sub.render(out, crlf);
  }
}

std::string ConfigObj::to_string() const {
  std::vector<std::string> lines;
  const std::string eol = m_crlf ? "\r" : "";
  for (const auto& line : m_initial) {
    lines.push_back(line + eol);
  }
  m_root.render(lines, m_crlf);
  for (const auto& line : m_final) {
    lines.push_back(line + eol);
  }
  std::string out = m_bom;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || m_final_newline) {
      out += '\n';
    }
  }
  return out;
}

} // namespace certsmith::store
