#include "compat/python_strip.hpp"

namespace certsmith::compat {

namespace {

// The code point of a well-formed 2- or 3-byte UTF-8 sequence at text[i]
// (every White_Space character beyond ASCII has one), else 0.
char32_t code_point_at(std::string_view text, std::size_t i, std::size_t& length) {
  auto byte = [&text](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  auto is_continuation = [&](std::size_t k) { return k < text.size() && (byte(k) & 0xC0) == 0x80; };
  unsigned char lead = byte(i);
  if ((lead & 0xE0) == 0xC0 && is_continuation(i + 1)) {
    length = 2;
    return static_cast<char32_t>(((lead & 0x1F) << 6) | (byte(i + 1) & 0x3F));
  }
  if ((lead & 0xF0) == 0xE0 && is_continuation(i + 1) && is_continuation(i + 2)) {
    length = 3;
    return static_cast<char32_t>(((lead & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) |
                                 (byte(i + 2) & 0x3F));
  }
  return 0;
}

bool is_unicode_space(char32_t c) {
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

} // namespace

std::size_t space_at(std::string_view text, std::size_t i) {
  if (i >= text.size())
    return 0;
  unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80)
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) ? 1 : 0;
  std::size_t length = 0;
  char32_t code_point = code_point_at(text, i, length);
  return is_unicode_space(code_point) ? length : 0;
}

std::string_view python_strip(std::string_view text) {
  // Forward only: a UTF-8 character cannot be recognized from its last byte alone.
  std::size_t begin = 0;
  while (std::size_t length = space_at(text, begin))
    begin += length;
  std::size_t end = begin;
  for (std::size_t i = begin; i < text.size();) {
    std::size_t length = space_at(text, i);
    if (length == 0) {
      ++i;
      end = i;
    } else {
      i += length;
    }
  }
  return text.substr(begin, end - begin);
}

std::vector<std::string> split_comma_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    auto comma = text.find(',');
    items.emplace_back(python_strip(text.substr(0, comma)));
    if (comma == std::string_view::npos)
      return items;
    text.remove_prefix(comma + 1);
  }
}

} // namespace certsmith::compat
