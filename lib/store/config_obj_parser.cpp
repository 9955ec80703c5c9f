#include "store/config_obj.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace certsmith::store {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::size_t skip_blanks(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_blank(text[pos])) {
    ++pos;
  }
  return pos;
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && is_blank(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// True when text[pos..] is only blanks, optionally followed by a # comment.
bool only_comment_after(std::string_view text, std::size_t pos) {
  pos = skip_blanks(text, pos);
  return pos == text.size() || text[pos] == '#';
}

struct ParsedValue {
  ConfigValue value;
  std::string comment;
};

} // namespace

// Reads configobj text line by line, following configobj 5's grammar
// (list_values on, no interpolation, no unrepr).
class ConfigObjParser {
public:
  ConfigObjParser(std::string_view text, std::string source) : m_text(text) {
    m_result.m_source = std::move(source);
  }

  ConfigObj run() {
    if (m_text.substr(0, 3) == "\xEF\xBB\xBF") {
      m_result.m_bom = "\xEF\xBB\xBF";
      m_text.remove_prefix(3);
    }
    split_lines();
    while (m_index < m_lines.size()) {
      parse_line();
    }
    m_result.m_final = std::move(m_pending);
    return std::move(m_result);
  }

private:
  [[noreturn]] void fail(std::size_t line_index, std::string_view what) const {
    throw StorageError(fmt::format("{} line {}: {}", m_result.m_source, line_index + 1, what));
  }

  void split_lines() {
    m_result.m_final_newline = m_text.empty() || m_text.back() == '\n';
    std::size_t start = 0;
    while (start < m_text.size()) {
      std::size_t end = m_text.find('\n', start);
      if (end == std::string_view::npos) {
        end = m_text.size();
      }
      m_lines.emplace_back(m_text.substr(start, end - start));
      start = end + 1;
    }
    bool all_crlf = !m_lines.empty();
    for (std::size_t i = 0; i < m_lines.size(); ++i) {
      if (m_lines[i].find('\0') != std::string::npos) {
        fail(i, "NUL byte in line");
      }
      all_crlf = all_crlf && !m_lines[i].empty() && m_lines[i].back() == '\r';
    }
    if (all_crlf) {
      m_result.m_crlf = true;
      for (auto& line : m_lines) {
        line.pop_back();
      }
    }
  }

  Section& current() {
    Section* section = &m_result.m_root;
    for (std::size_t index : m_path) {
      section = &section->m_sections[index];
    }
    return *section;
  }

  std::vector<std::string> take_leading() {
    std::vector<std::string> leading;
    if (!m_seen_entry) {
      m_result.m_initial = std::move(m_pending);
      m_seen_entry = true;
    } else {
      leading = std::move(m_pending);
    }
    m_pending.clear();
    return leading;
  }

  void parse_line() {
    const std::string& line = m_lines[m_index];
    std::size_t start = skip_blanks(line, 0);
    if (start == line.size() || line[start] == '#') {
      m_pending.push_back(line);
      ++m_index;
      return;
    }
    if (line[start] == '[') {
      parse_section(start);
    } else {
      parse_entry(start);
    }
  }

  void parse_section(std::size_t start) {
    const std::string& line = m_lines[m_index];
    std::size_t pos = start;
    int opens = 0;
    while (pos < line.size() && line[pos] == '[') {
      ++opens;
      pos = skip_blanks(line, pos + 1);
    }
    std::string name;
    if (pos < line.size() && (line[pos] == '"' || line[pos] == '\'')) {
      std::size_t close = line.find(line[pos], pos + 1);
      if (close == std::string::npos) {
        fail(m_index, "unbalanced quote in section name");
      }
      name = line.substr(pos + 1, close - pos - 1);
      pos = close + 1;
    } else {
      std::size_t close = line.find(']', pos);
      if (close == std::string::npos) {
        fail(m_index, "unbalanced brackets in section header");
      }
      name = std::string(trim_right(std::string_view(line).substr(pos, close - pos)));
      pos = close;
    }
    if (name.find_first_not_of(" \t") == std::string::npos) {
      fail(m_index, "empty section name");
    }
    int closes = 0;
    for (pos = skip_blanks(line, pos); pos < line.size() && line[pos] == ']';
         pos = skip_blanks(line, pos + 1)) {
      ++closes;
    }
    if (closes == 0 || !only_comment_after(line, pos)) {
      fail(m_index, "malformed section header");
    }
    if (opens != closes) {
      fail(m_index, "unbalanced brackets in section header");
    }
    if (static_cast<std::size_t>(opens) > m_path.size() + 1) {
      fail(m_index, "section nested too deep");
    }
    m_path.resize(static_cast<std::size_t>(opens - 1));
    Section& parent = current();
    if (parent.section(name) != nullptr || parent.find_entry(name) != nullptr) {
      fail(m_index, fmt::format("duplicate section '{}'", name));
    }
    Section section(name, opens);
    section.m_leading = take_leading();
    section.m_header_raw = line;
    parent.m_sections.push_back(std::move(section));
    m_path.push_back(parent.m_sections.size() - 1);
    ++m_index;
  }

  void parse_entry(std::size_t start) {
    const std::string& line = m_lines[m_index];
    std::size_t first_line = m_index;
    Section::Entry entry;
    entry.indent = line.substr(0, start);
    std::size_t pos = start;
    if (line[pos] == '"' || line[pos] == '\'') {
      std::size_t close = closing_quote(line, pos, "=");
      if (close == std::string::npos) {
        fail(m_index, "unbalanced quote in key");
      }
      entry.key = line.substr(pos + 1, close - pos - 1);
      entry.key_text = line.substr(pos, close + 1 - pos);
      pos = skip_blanks(line, close + 1);
      if (pos == line.size() || line[pos] != '=') {
        fail(m_index, "expected '=' after the key");
      }
    } else {
      std::size_t equals = line.find('=', pos);
      if (equals == std::string::npos) {
        fail(m_index, "expected 'key = value'");
      }
      if (equals == pos) {
        fail(m_index, "missing key before '='");
      }
      entry.key_text = std::string(trim_right(std::string_view(line).substr(pos, equals - pos)));
      entry.key = entry.key_text;
      pos = equals;
    }
    std::string_view rest = std::string_view(line).substr(skip_blanks(line, pos + 1));
    ParsedValue parsed = rest.substr(0, 3) == "'''" || rest.substr(0, 3) == "\"\"\""
                             ? parse_triple(rest)
                             : parse_value(rest);
    entry.value = std::move(parsed.value);
    entry.comment = std::move(parsed.comment);
    Section& section = current();
    if (section.find_entry(entry.key) != nullptr || section.section(entry.key) != nullptr) {
      fail(first_line, fmt::format("duplicate key '{}'", entry.key));
    }
    entry.leading = take_leading();
    for (std::size_t i = first_line; i <= m_index; ++i) {
      entry.raw.push_back(m_lines[i]);
    }
    section.m_entries.push_back(std::move(entry));
    ++m_index;
  }

  // The quote closing the one at text[open]: configobj's regex `'.*?'` is lazy
  // but backtracks, so it is the first quote of the same kind that blanks and
  // then the end of the text or one of `followers` come after ('a' 'b' is the
  // one value "a' 'b"). npos when there is none.
  static std::size_t closing_quote(std::string_view text, std::size_t open,
                                   std::string_view followers) {
    for (std::size_t at = text.find(text[open], open + 1); at != std::string_view::npos;
         at = text.find(text[open], at + 1)) {
      std::size_t next = skip_blanks(text, at + 1);
      if (next == text.size() || followers.find(text[next]) != std::string_view::npos) {
        return at;
      }
    }
    return std::string_view::npos;
  }

  // Finds the closing `quote` in text[from..] that only blanks or a comment follow.
  static std::size_t find_closing_triple(std::string_view text, std::size_t from,
                                         std::string_view quote) {
    for (std::size_t at = text.find(quote, from); at != std::string_view::npos;
         at = text.find(quote, at + 1)) {
      if (only_comment_after(text, at + 3)) {
        return at;
      }
    }
    return std::string_view::npos;
  }

  static std::string comment_from(std::string_view text, std::size_t pos) {
    std::size_t hash = skip_blanks(text, pos);
    return hash < text.size() ? std::string(text.substr(pos)) : std::string();
  }

  ParsedValue parse_triple(std::string_view rest) {
    std::string_view quote = rest.substr(0, 3);
    ParsedValue parsed;
    std::size_t close = find_closing_triple(rest, 3, quote);
    if (close != std::string_view::npos) {
      parsed.value.items.emplace_back(rest.substr(3, close - 3));
      parsed.comment = comment_from(rest, close + 3);
      return parsed;
    }
    std::size_t opened = m_index;
    std::string value(rest.substr(3));
    for (++m_index; m_index < m_lines.size(); ++m_index) {
      std::string_view line = m_lines[m_index];
      close = find_closing_triple(line, 0, quote);
      if (close != std::string_view::npos) {
        value += '\n';
        value += line.substr(0, close);
        parsed.value.items.push_back(std::move(value));
        parsed.comment = comment_from(line, close + 3);
        return parsed;
      }
      value += '\n';
      value += line;
    }
    fail(opened, "unterminated triple-quoted value");
  }

  ParsedValue parse_value(std::string_view text) {
    ParsedValue parsed;
    std::size_t pos = 0;
    if (text.empty() || text[0] == '#') {
      parsed.value.items.emplace_back();
      parsed.comment = comment_from(text, 0);
      return parsed;
    }
    if (text[0] == ',') {
      if (!only_comment_after(text, 1)) {
        fail(m_index, "unexpected ',' at the start of a value");
      }
      parsed.value.is_list = true;
      parsed.comment = comment_from(text, 1);
      return parsed;
    }
    for (;;) {
      std::size_t item_end = 0;
      if (text[pos] == '"' || text[pos] == '\'') {
        std::size_t close = closing_quote(text, pos, ",#");
        if (close == std::string_view::npos) {
          fail(m_index, text.find(text[pos], pos + 1) == std::string_view::npos
                            ? "unbalanced quote in value"
                            : "text after a quoted value");
        }
        parsed.value.items.emplace_back(text.substr(pos + 1, close - pos - 1));
        item_end = close + 1;
      } else if (text[pos] == ',' || text[pos] == '#') {
        fail(m_index, "empty item in list");
      } else {
        std::size_t stop = text.find_first_of(",#", pos);
        if (stop == std::string_view::npos) {
          stop = text.size();
        }
        parsed.value.items.emplace_back(trim_right(text.substr(pos, stop - pos)));
        item_end = pos + parsed.value.items.back().size();
      }
      pos = skip_blanks(text, item_end);
      if (pos == text.size() || text[pos] == '#') {
        parsed.comment = comment_from(text, item_end);
        return parsed;
      }
      if (text[pos] != ',') {
        fail(m_index, "text after a quoted value");
      }
      parsed.value.is_list = true;
      std::size_t after_comma = pos + 1;
      pos = skip_blanks(text, after_comma);
      if (pos == text.size() || text[pos] == '#') {
        parsed.comment = comment_from(text, after_comma);
        return parsed;
      }
    }
  }

  std::string_view m_text;
  std::vector<std::string> m_lines;
  std::size_t m_index = 0;
  std::vector<std::size_t> m_path; // indices from the root to the current section
  std::vector<std::string> m_pending;
  bool m_seen_entry = false;
  ConfigObj m_result;
};

ConfigObj ConfigObj::parse(std::string_view text, std::string source_name) {
  return ConfigObjParser(text, std::move(source_name)).run();
}

} // namespace certsmith::store
