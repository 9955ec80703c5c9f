#include "crypto/base64url.hpp"

#include <array>
#include <cstdint>

namespace certsmith::crypto {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<int>(i);
  }
  return table;
}

constexpr std::array<int, 256> k_decode_table = make_decode_table();

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
        static_cast<unsigned char>(bytes[i + 2]);
    out += k_alphabet[group >> 18 & 0x3f];
    out += k_alphabet[group >> 12 & 0x3f];
    out += k_alphabet[group >> 6 & 0x3f];
    out += k_alphabet[group & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                                << 16;
    out += k_alphabet[group >> 18 & 0x3f];
    out += k_alphabet[group >> 12 & 0x3f];
  } else if (rest == 2) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += k_alphabet[group >> 18 & 0x3f];
    out += k_alphabet[group >> 12 & 0x3f];
    out += k_alphabet[group >> 6 & 0x3f];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = k_decode_table[static_cast<unsigned char>(c)];
    if (value < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6 | static_cast<std::uint32_t>(value)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xff);
    }
  }
  // Leftover bits of the last character are ignored, as Python's decoder (and
  // so certbot) ignores them; the header contract only rules out bad characters,
  // padding and impossible lengths.
  return out;
}

bool is_base64url(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (k_decode_table[static_cast<unsigned char>(c)] < 0) {
      return false;
    }
  }
  return true;
}

} // namespace certsmith::crypto
