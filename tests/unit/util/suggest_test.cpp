#include "util/suggest.hpp"

#include <catch2/catch.hpp>

using certsmith::util::closest_match;
using certsmith::util::edit_distance;

TEST_CASE("edit distance counts a swap of neighbours as one edit") {
  CHECK(edit_distance("renew", "renew") == 0);
  CHECK(edit_distance("renwe", "renew") == 1);  // swap
  CHECK(edit_distance("rnew", "renew") == 1);   // insertion
  CHECK(edit_distance("renews", "renew") == 1); // deletion
  CHECK(edit_distance("revoke", "renew") == 4);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
}

TEST_CASE("closest_match suggests a near command and nothing for a far one") {
  std::vector<std::string> commands = {"certonly", "certificates", "renew", "revoke", "delete"};
  CHECK(closest_match("renwe", commands) == "renew");
  CHECK(closest_match("certonyl", commands) == "certonly");
  CHECK(closest_match("certificate", commands) == "certificates");
  CHECK(closest_match("install", commands) == std::nullopt);
  CHECK(closest_match("x", commands) == std::nullopt);
  CHECK(closest_match("renew", commands) == std::nullopt); // no typo, nothing to suggest
  CHECK(closest_match("anything", {}) == std::nullopt);
}

TEST_CASE("closest_match allows more edits for longer words, at most three") {
  std::vector<std::string> flags = {"--force-renewal", "--dry-run", "--cert-name"};
  CHECK(closest_match("--forse-renewal", flags) == "--force-renewal");
  CHECK(closest_match("--force-renwal", flags) == "--force-renewal");
  CHECK(closest_match("--dryrun", flags) == "--dry-run");
  CHECK(closest_match("--totally-different", flags) == std::nullopt);
}

TEST_CASE("closest_match does not guess between equally near candidates") {
  CHECK(closest_match("rest", {"test", "best"}) == std::nullopt);
  CHECK(closest_match("rest", {"test", "test"}) == "test"); // the same word twice is no tie
}
