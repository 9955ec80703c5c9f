#include "acme/link_header.hpp"

#include <catch2/catch.hpp>

using certsmith::acme::link_targets;
using certsmith::acme::parse_link_header;

TEST_CASE("link header: one link per line, as Pebble sends", "[link]") {
  auto links = parse_link_header("<https://ca/cert/1/1>;rel=\"alternate\"");
  REQUIRE(links.size() == 1);
  CHECK(links[0].target == "https://ca/cert/1/1");
  CHECK(links[0].rels == std::vector<std::string>{"alternate"});
}

TEST_CASE("link header: several links joined by commas in one line", "[link]") {
  auto targets = link_targets(
      {"<https://ca/dir>;rel=\"index\", <https://ca/c/1>; rel=alternate , <https://ca/c/2> ;REL = "
       "\"Alternate up\""},
      "alternate");
  CHECK(targets == std::vector<std::string>{"https://ca/c/1", "https://ca/c/2"});
  CHECK(link_targets({"<https://ca/dir>;rel=\"index\", <https://ca/c/1>;rel=alternate"}, "index") ==
        std::vector<std::string>{"https://ca/dir"});
}

TEST_CASE("link header: commas and semicolons inside quotes do not split", "[link]") {
  auto targets = link_targets({"<https://ca/c/1>;title=\"a, b; c\";rel=\"alternate\", <x>;rel=up"},
                              "alternate");
  CHECK(targets == std::vector<std::string>{"https://ca/c/1"});
}

TEST_CASE("link header: only the first rel parameter counts (RFC 8288 3.3)", "[link]") {
  CHECK(link_targets({"<https://ca/c/1>;rel=up;rel=alternate"}, "alternate").empty());
}

TEST_CASE("link header: malformed link-values are skipped, the rest kept", "[link]") {
  CHECK(link_targets({"https://ca/c/1;rel=alternate"}, "alternate").empty());
  CHECK(link_targets({"<https://ca/c/1;rel=alternate"}, "alternate").empty());
  CHECK(link_targets({"<https://ca/c/1>;rel=\"alternate"}, "alternate").empty());
  CHECK(link_targets({"<https://ca/c/1>;rel=\"alternate\" junk, <https://ca/c/2>;rel=alternate"},
                     "alternate") == std::vector<std::string>{"https://ca/c/2"});
  CHECK(link_targets({"", " , ,", "<>;rel=alternate"}, "alternate") ==
        std::vector<std::string>{""});
  CHECK(link_targets({"<https://ca/c/1>;rel=alternative"}, "alternate").empty());
}
