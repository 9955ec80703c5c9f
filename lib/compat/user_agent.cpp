#include "compat/user_agent.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace certsmith::compat {

namespace {

bool has_control(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

} // namespace

void check_user_agent(const std::optional<std::string>& user_agent,
                      const std::string& user_agent_comment) {
  if (has_control(user_agent.value_or("")) || has_control(user_agent_comment))
    throw UsageError("--user-agent and --user-agent-comment cannot hold control characters");
}

} // namespace certsmith::compat
