#include "compat/python_strip.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::compat;
using Strings = std::vector<std::string>;

TEST_CASE("python_strip: ASCII and Unicode whitespace, as Python's str.strip()", "[python_strip]") {
  CHECK(python_strip("  a b \t\r\n") == "a b");
  CHECK(python_strip("\x1c\x1f\va\f") == "a");
  CHECK(python_strip("\u00a0a\u00a0b\u00a0") == "a\u00a0b"); // NO-BREAK SPACE
  CHECK(python_strip("\u3000\u2003\u202f\u205f\u2028\u1680a\u0085") == "a");
  CHECK(python_strip("\u00a0\u2009") == "");
  CHECK(python_strip("") == "");
  // Letters whose UTF-8 shares bytes with a space are not spaces: é (C3 A9), ⅰ (E2 85 B0).
  CHECK(python_strip("caf\u00e9") == "caf\u00e9");
  CHECK(python_strip("\u2170\u00a0") == "\u2170");
  // Zero-width space and BOM are not White_Space (Python keeps them too).
  CHECK(python_strip("\u200ba\ufeff") == "\u200ba\ufeff");
  // Broken UTF-8 is left as it is.
  CHECK(python_strip("\xc2 a \xe2\x80") == "\xc2 a \xe2\x80");
}

TEST_CASE("space_at: the byte length of the whitespace character at i", "[python_strip]") {
  std::string text = "a \u00a0\u3000b";
  CHECK(space_at(text, 0) == 0);
  CHECK(space_at(text, 1) == 1);
  CHECK(space_at(text, 2) == 2);
  CHECK(space_at(text, 3) == 0); // inside the NBSP
  CHECK(space_at(text, 4) == 3);
  CHECK(space_at(text, text.size()) == 0);
}

TEST_CASE("split_comma_list: certbot's -d items, each stripped", "[python_strip]") {
  CHECK(split_comma_list("a.example.com, b.example.com") ==
        Strings{"a.example.com", "b.example.com"});
  CHECK(split_comma_list(" a.example.com ,\tb.example.com\u00a0") ==
        Strings{"a.example.com", "b.example.com"});
  CHECK(split_comma_list("a.example.com") == Strings{"a.example.com"});
  CHECK(split_comma_list("a,,b, ") == Strings{"a", "", "b", ""});
  CHECK(split_comma_list("a b") == Strings{"a b"}); // inner spaces stay for the validator
}
