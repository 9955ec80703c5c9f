#include "store/lineage_name.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using certsmith::UsageError;
using certsmith::store::choose_lineage_name;
using certsmith::store::validate_cert_name;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;

TEST_CASE("cert names: hostile names are refused", "[store][names]") {
  for (const std::string& name : std::vector<std::string>{
           std::string("../../evil"), std::string("a/b"),         std::string(""),
           std::string("."),          std::string(".."),          std::string("\n"),
           std::string("a\nb"),       std::string("a\x7f"),       std::string(".hidden"),
           std::string("-rf"),        std::string("tab\there"),   std::string("nul\0byte", 8),
           std::string(216, 'a'),     std::string("/etc/passwd"), std::string(216, 'a') + "-0001",
           std::string(220, 'a'),     std::string(" "),           std::string("   "),
           std::string("\t"),         std::string(" lead"),       std::string("trail "),
           std::string("a\x1b[2J"),   std::string("bad\xff"),     std::string("cut\xc3"),
           std::string("./x"),        std::string("x/."),         std::string("..."),
           std::string(".conf"),      std::string("a\rb")}) {
    CAPTURE(name);
    CHECK_THROWS_AS(validate_cert_name(name), UsageError);
  }
  CHECK_THROWS_WITH(validate_cert_name("a\nb"),
                    "invalid certificate name 'a\\x0ab': it contains a control character");
  CHECK_THROWS_WITH(validate_cert_name(std::string("a\0b", 3)),
                    "invalid certificate name 'a\\x00b': it contains a NUL byte");
  CHECK_THROWS_WITH(validate_cert_name("   "),
                    "invalid certificate name '   ': it starts or ends with a space");
  CHECK_THROWS_WITH(validate_cert_name(std::string(216, 'a')),
                    Catch::Contains("it is longer than 215 characters"));
}

TEST_CASE("cert names: ordinary names pass", "[store][names]") {
  for (const std::string& name : std::vector<std::string>{
           "example.com", "www.example.com-0001", "xn--bcher-kva.example", "my cert", "a",
           std::string(215, 'a'),
           "b\xc3\xbc"
           "cher.example",
           "example.com-0001", "a..b", "x.", "under_score", std::string(215, 'a') + "-0001"}) {
    CHECK_NOTHROW(validate_cert_name(name));
  }
}

TEST_CASE("cert names: certbot's -0001 rule", "[store][names]") {
  TempTree tree;
  auto paths = tree.paths();
  CHECK(choose_lineage_name(paths, "example.com") == "example.com");
  CHECK(choose_lineage_name(paths, "*.example.com") == "example.com");

  std::filesystem::create_directories(paths.renewal_dir());
  spit(paths.renewal_conf("example.com"), "");
  CHECK(choose_lineage_name(paths, "*.example.com") == "example.com-0001");

  std::filesystem::create_directories(paths.lineage_live_dir("example.com-0001"));
  std::filesystem::create_directories(paths.lineage_archive_dir("example.com-0002"));
  CHECK(choose_lineage_name(paths, "example.com") == "example.com-0003");

  CHECK_THROWS_AS(choose_lineage_name(paths, "*./../x"), UsageError);
  CHECK_THROWS_AS(choose_lineage_name(paths, "*."), UsageError);
  // A 215-character name leaves room for "-0001".
  std::string longest(215, 'l');
  spit(paths.renewal_conf(longest), "");
  CHECK(choose_lineage_name(paths, longest) == longest + "-0001");
  CHECK_THROWS_AS(choose_lineage_name(paths, longest + "m"), UsageError);
}
