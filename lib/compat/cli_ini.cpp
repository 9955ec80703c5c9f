#include "compat/cli_ini.hpp"

#include "compat/python_strip.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

// ConfigArgParse matches each stripped line against
//   ^(?P<key>[^:=;#\s]+)\s*(?:(?P<equal>[:=\s])\s*(['"]?)(?P<value>.+?)?\3)?\s*(?:\s[;#]\s*(?P<comment>.*?)\s*)?$
// The functions below take the same choices that expression's backtracking takes,
// written out so that a long line costs linear time and no recursion.

namespace certsmith::compat {

namespace {

// JSON's own whitespace, inside a "[...]" list that json.loads reads.
bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Past the whitespace (Python's: Unicode too) that starts at text[i].
std::size_t skip_spaces(std::string_view text, std::size_t i) {
  while (std::size_t length = space_at(text, i))
    i += length;
  return i;
}

// What may follow a value: nothing, or whitespace then a ';' or '#' comment.
bool is_value_tail(std::string_view tail) {
  if (tail.empty())
    return true;
  if (space_at(tail, 0) == 0)
    return false;
  std::size_t i = skip_spaces(tail, 0);
  return i < tail.size() && (tail[i] == ';' || tail[i] == '#');
}

// The value part after "=", ":" or the separating whitespace; nullopt when the
// expression's optional value group matches nothing.
std::optional<std::string> value_of(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  char quote = text.front();
  if (quote == '"' || quote == '\'') {
    // The shortest quoted value whose closing quote is followed by a valid tail.
    for (std::size_t close = 2; close < text.size(); ++close)
      if (text[close] == quote && is_value_tail(text.substr(close + 1)))
        return std::string(text.substr(1, close - 1));
    if (text.size() >= 2 && text[1] == quote && is_value_tail(text.substr(2)))
      return std::nullopt; // "" or '': the value group is empty
  }
  // Unquoted: the shortest value after which only an inline comment remains.
  for (std::size_t end = 1; end < text.size(); ++end)
    if (space_at(text, end) > 0 && is_value_tail(text.substr(end)))
      return std::string(text.substr(0, end));
  return std::string(text);
}

// A JSON string literal starting at text[i] == '"'; appends it decoded to out.
bool take_json_string(std::string_view text, std::size_t& i, std::string& out) {
  for (++i; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20)
      return false;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= text.size())
      return false;
    switch (text[i]) {
    case '"':
    case '\\':
    case '/':
      out += text[i];
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 't':
      out += '\t';
      break;
    default:
      return false; // \u escapes: the legacy reading applies instead
    }
  }
  return false;
}

// ConfigArgParse first tries json.loads on "[...]": an array of strings, numbers,
// true/false/null (written as Python prints them). nullopt when it is not one.
std::optional<std::vector<std::string>> json_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t i = 1;
  auto skip_space = [&] {
    while (i < text.size() && is_json_space(text[i]))
      ++i;
  };
  skip_space();
  if (i < text.size() && text[i] == ']')
    return ++i == text.size() ? std::optional(items) : std::nullopt;
  while (i < text.size()) {
    skip_space();
    std::string item;
    if (i < text.size() && text[i] == '"') {
      if (!take_json_string(text, i, item))
        return std::nullopt;
    } else {
      std::size_t start = i;
      while (i < text.size() && text[i] != ',' && text[i] != ']' && !is_json_space(text[i]))
        ++i;
      std::string_view word = text.substr(start, i - start);
      if (word == "true")
        item = "True";
      else if (word == "false")
        item = "False";
      else if (word == "null")
        item = "None";
      else if (!word.empty() && word.find_first_not_of("0123456789-+.eE") == std::string::npos &&
               (std::isdigit(static_cast<unsigned char>(word.front())) || word.front() == '-'))
        item = std::string(word);
      else
        return std::nullopt;
    }
    items.push_back(std::move(item));
    skip_space();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == ']' && i + 1 == text.size())
      return items;
    return std::nullopt;
  }
  return std::nullopt;
}

// "[a, b]": JSON when it parses as such, else split on commas and stripped.
std::vector<std::string> list_items(std::string_view text) {
  if (auto items = json_list(text))
    return *items;
  std::vector<std::string> items;
  std::string_view inner = text.substr(1, text.size() - 2);
  while (true) {
    auto comma = inner.find(',');
    items.emplace_back(python_strip(inner.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    inner.remove_prefix(comma + 1);
  }
  return items;
}

UsageError line_error(const std::filesystem::path& file, int line, std::string_view what) {
  return UsageError(fmt::format("{}:{}: {}", file.string(), line, what));
}

// One stripped line that is not blank, a comment or a section.
CliIniSetting parse_setting(std::string_view line, const std::filesystem::path& file, int number) {
  std::size_t key_end = 0;
  while (key_end < line.size() && space_at(line, key_end) == 0 &&
         std::strchr(":=;#", line[key_end]) == nullptr)
    ++key_end;
  std::string_view rest = line.substr(key_end);
  if (key_end == 0 || (!rest.empty() && (rest.front() == ';' || rest.front() == '#')))
    throw line_error(
        file, number,
        fmt::format("not a setting (expected KEY = VALUE): {}", util::escape_untrusted(line, 80)));

  CliIniSetting setting;
  setting.key = std::string(line.substr(0, key_end));
  if (setting.key.starts_with("--"))
    setting.key.erase(0, 2);
  setting.file = file;
  setting.line = number;
  if (rest.empty()) {
    setting.bare = true;
    return setting;
  }
  // The separator is '=', ':' or the last whitespace character before the value.
  bool space_separator = false;
  std::size_t pos = 0;
  while (std::size_t length = space_at(rest, pos)) {
    space_separator = length == 1 && rest[pos] == ' ';
    pos += length;
  }
  if (pos < rest.size() && (rest[pos] == '=' || rest[pos] == ':')) {
    space_separator = false;
    pos = skip_spaces(rest, pos + 1);
  }
  std::optional<std::string> value = value_of(rest.substr(pos));
  if (!value) {
    // "key =" is an empty value; "key ''" sets the flag, as ConfigArgParse reads them.
    if (space_separator) {
      setting.bare = true;
      return setting;
    }
    value = std::string();
  }
  if (value->size() >= 2 && value->front() == '[' && value->back() == ']') {
    setting.list = true;
    setting.values = list_items(*value);
  } else {
    setting.values.push_back(std::move(*value));
  }
  return setting;
}

} // namespace

std::vector<CliIniSetting> parse_cli_ini(std::string_view text, const std::filesystem::path& file) {
  std::vector<CliIniSetting> settings;
  int number = 0;
  while (!text.empty()) {
    ++number;
    auto newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (raw.find('\0') != std::string_view::npos)
      throw line_error(file, number, "a NUL byte: not a text file");
    if (raw.size() > k_cli_ini_max_line)
      throw line_error(file, number, fmt::format("line longer than {} bytes", k_cli_ini_max_line));
    std::string_view line = python_strip(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';' || line.front() == '[' ||
        line.starts_with("---"))
      continue;
    settings.push_back(parse_setting(line, file, number));
  }
  return settings;
}

std::vector<CliIniSetting> read_cli_ini(const std::filesystem::path& path) {
  auto fail = [&path](std::string_view reason) {
    return UsageError(fmt::format("cannot read cli.ini {}: {}", path.string(), reason));
  };
  // O_NONBLOCK: a FIFO planted at the path must not hang the run.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    throw fail(std::strerror(errno));
  std::string text;
  try {
    struct stat info {};
    if (::fstat(fd, &info) != 0)
      throw fail(std::strerror(errno));
    if (!S_ISREG(info.st_mode))
      throw fail("not a regular file");
    char buffer[65536];
    while (true) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        throw fail(std::strerror(errno));
      if (n == 0)
        break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > k_cli_ini_max_bytes)
        throw fail(fmt::format("larger than {} bytes", k_cli_ini_max_bytes));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return parse_cli_ini(text, path);
}

} // namespace certsmith::compat
