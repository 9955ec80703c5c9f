#include "compat/cli_ini.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::compat;

TEST_CASE("an empty cli.ini has no settings", "[cli_ini]") {
  CHECK(parse_cli_ini("", "cli.ini").empty());
}
