#include "util/escape.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::util {

namespace {

// Length of the valid UTF-8 sequence starting at text[i] (2..4), or 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto byte = static_cast<unsigned char>(text[i]);
  std::size_t length = byte >= 0xF0 && byte <= 0xF4 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 ? 2 : 0;
  if (byte >= 0xF8 || length == 0 || i + length > text.size())
    return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
      return 0;
  }
  return length;
}

} // namespace

std::string escape_untrusted(std::string_view text, std::size_t max_length) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < max_length) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += static_cast<char>(byte);
    } else if (std::size_t length = utf8_sequence_length(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
    ++i;
  }
  if (i < text.size()) {
    out.resize(std::min(out.size(), max_length));
    out += "...";
  }
  return out;
}

} // namespace certsmith::util
