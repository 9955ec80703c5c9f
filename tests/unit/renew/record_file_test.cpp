#include "renew/record_file.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::renew;

namespace {

std::vector<std::vector<std::string>> parse_all(std::string_view text, std::size_t fields) {
  std::vector<std::vector<std::string>> records;
  bool ok = parse_records(text, "magic 1", fields, [&](const std::vector<std::string_view>& f) {
    records.emplace_back(f.begin(), f.end());
    return true;
  });
  if (!ok)
    records = {{"<rejected>"}};
  return records;
}

} // namespace

TEST_CASE("fields survive escaping, whatever bytes they hold") {
  std::string every_byte;
  for (int c = 0; c < 256; ++c)
    every_byte += static_cast<char>(c);
  for (const std::string& field :
       {std::string(), std::string("plain.example"), std::string("a b,c\td\ne%f"), every_byte}) {
    std::string escaped = escape_field(field);
    CHECK(escaped.find_first_of("\t\n ,") == std::string::npos);
    CHECK(unescape_field(escaped) == field);
  }
  CHECK_FALSE(unescape_field("%"));
  CHECK_FALSE(unescape_field("%4"));
  CHECK_FALSE(unescape_field("%zz"));
  CHECK(split_list(join_list({"a,b", "", "c"})) == std::vector<std::string>{"a,b", "", "c"});
  CHECK(split_list("")->empty());
  CHECK_FALSE(split_list("a,%q"));
}

TEST_CASE("record files round-trip") {
  RecordWriter writer("magic 1");
  writer.add({"a", "b"});
  writer.add({"", "d"});
  std::string text = writer.finish();
  CHECK(text == "magic 1\na\tb\n\td\nend 2\n");
  CHECK(parse_all(text, 2) == std::vector<std::vector<std::string>>{{"a", "b"}, {"", "d"}});
  CHECK(parse_all("magic 1\nend 0\n", 2).empty());
}

TEST_CASE("damaged record files are rejected whole") {
  const std::string good = "magic 1\na\tb\nc\td\nend 2\n";
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    INFO(cut);
    CHECK(parse_all(good.substr(0, cut), 2) ==
          std::vector<std::vector<std::string>>{{"<rejected>"}});
  }
  for (const char* bad :
       {"magic 2\na\tb\nend 1\n", "magic 1\na\tb\nend 2\n", "magic 1\na\tb\nend 0\n",
        "magic 1\na\tb\tc\nend 1\n", "magic 1\na\nend 1\n", "magic 1\na\tb\nend -1\n",
        "magic 1\na\tb\nend 99999999999999999999999\n", "magic 1\na\tb\n\nend 1\n",
        "magic 1\r\na\tb\nend 1\n", "magic 1\na\tb\nend 1\nextra\n", "magic 1a\tb\nend 1\n"}) {
    INFO(bad);
    CHECK(parse_all(bad, 2) == std::vector<std::vector<std::string>>{{"<rejected>"}});
  }
}

TEST_CASE("integer fields") {
  CHECK(parse_integer_field("-12") == -12);
  CHECK(parse_unsigned_field("18446744073709551615") == 18446744073709551615ULL);
  for (const char* bad : {"", "+1", "1 ", " 1", "1e3", "0x10", "99999999999999999999"})
    CHECK_FALSE(parse_integer_field(bad));
  CHECK_FALSE(parse_unsigned_field("-1"));
}
