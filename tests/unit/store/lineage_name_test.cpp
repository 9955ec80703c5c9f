#include "store/lineage_name.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

using certsmith::UsageError;
using certsmith::store::choose_lineage_name;
using certsmith::store::validate_cert_name;
using certsmith::store::validate_new_cert_name;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;

TEST_CASE("cert names: hostile names are refused", "[store][names]") {
  for (const std::string& name : std::vector<std::string>{
           std::string("../../evil"), std::string("a/b"),         std::string(""),
           std::string("."),          std::string(".."),          std::string("\n"),
           std::string("a\nb"),       std::string("a\x7f"),       std::string(".hidden"),
           std::string("-rf"),        std::string("tab\there"),   std::string("nul\0byte", 8),
           std::string(251, 'a'),     std::string("/etc/passwd"), std::string(246, 'a') + "-0001",
           std::string(300, 'a'),     std::string(" "),           std::string("   "),
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
  CHECK_THROWS_WITH(validate_cert_name(std::string(251, 'a')),
                    Catch::Contains("it is longer than 250 characters"));
}

TEST_CASE("cert names: an existing lineage's name may be longer than a new one's",
          "[store][names]") {
  // certbot may have made renewal/NAME.conf with NAME up to 250 bytes: delete,
  // revoke and reconfigure must still reach it by --cert-name.
  CHECK_NOTHROW(validate_cert_name(std::string(250, 'a')));
  CHECK_NOTHROW(validate_cert_name(std::string(221, 'a')));
  CHECK_NOTHROW(validate_new_cert_name(std::string(220, 'a')));
  CHECK_NOTHROW(validate_new_cert_name(std::string(215, 'a') + "-0001"));
  CHECK_THROWS_WITH(validate_new_cert_name(std::string(221, 'a')),
                    Catch::Contains("a new certificate's name may have at most 220 characters"));
  // The general checks come first.
  CHECK_THROWS_WITH(validate_new_cert_name("a/b"), Catch::Contains("it contains '/'"));
}

TEST_CASE("cert names: ordinary names pass", "[store][names]") {
  for (const std::string& name : std::vector<std::string>{
           "example.com", "www.example.com-0001", "xn--bcher-kva.example", "my cert", "a",
           std::string(215, 'a'),
           "b\xc3\xbc"
           "cher.example",
           "example.com-0001", "a..b", "x.", "under_score", std::string(215, 'a') + "-0001",
           std::string(216, 'a'), std::string(250, 'a')}) {
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
}

namespace {

// A valid domain of `size` characters (labels of 63, then the rest).
std::string long_domain(std::size_t size, char letter) {
  std::string domain;
  while (domain.size() + 64 < size)
    domain += std::string(63, letter) + ".";
  return domain + std::string(size - domain.size() - 4, letter) + ".com";
}

} // namespace

TEST_CASE("cert names: a first domain too long for a name is shortened, not refused",
          "[store][names]") {
  TempTree tree;
  auto paths = tree.paths();
  for (std::size_t size : std::vector<std::size_t>{216, 220, 240, 253}) {
    std::string domain = long_domain(size, 'x');
    REQUIRE(domain.size() == size);
    CAPTURE(size);
    std::string name = choose_lineage_name(paths, domain);
    CHECK(name.size() == 215);
    CHECK(name.starts_with(domain.substr(0, 206) + "-"));
    CHECK_NOTHROW(validate_new_cert_name(name));
    // The same domain always gets the same name.
    CHECK(choose_lineage_name(paths, domain) == name);
  }
  std::string a = long_domain(253, 'q');
  std::string b = a.substr(0, 248) + "z.com"; // differs only after the kept start
  CHECK(choose_lineage_name(paths, a) != choose_lineage_name(paths, b));
  CHECK(choose_lineage_name(paths, "*." + a.substr(2)) == choose_lineage_name(paths, a.substr(2)));
  // A taken shortened name gets certbot's suffix, still within the creation limit.
  std::string name = choose_lineage_name(paths, a);
  std::filesystem::create_directories(paths.renewal_dir());
  spit(paths.renewal_conf(name), "");
  CHECK(choose_lineage_name(paths, a) == name + "-0001");
  CHECK_NOTHROW(validate_new_cert_name(name + "-0001"));
  // The 215-character boundary is kept as is.
  CHECK(choose_lineage_name(paths, long_domain(215, 'k')) == long_domain(215, 'k'));
}
