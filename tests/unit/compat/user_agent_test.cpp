#include "compat/user_agent.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::UsageError;
using certsmith::compat::check_user_agent;

TEST_CASE("user agent: a control character would forge a header and is refused", "[compat]") {
  CHECK_NOTHROW(check_user_agent(std::nullopt, ""));
  CHECK_NOTHROW(check_user_agent(std::string(""), ""));
  CHECK_NOTHROW(check_user_agent(std::string("my-wrapper/1.0 (+https://example.com)"), ""));
  CHECK_NOTHROW(check_user_agent(std::nullopt, "Foo-Wrapper/1.0 caf\u00e9"));
  for (const char* bad : {"a\r\nX-Evil: 1", "a\nb", "tab\there", "del\x7f"}) {
    INFO(bad);
    CHECK_THROWS_AS(check_user_agent(std::string(bad), ""), UsageError);
    CHECK_THROWS_AS(check_user_agent(std::nullopt, bad), UsageError);
  }
}
