#pragma once
// certbot's --user-agent and --user-agent-comment, checked before they are
// sent to the CA as an HTTP header.

#include <optional>
#include <string>

namespace certsmith::compat {

/// Throws UsageError when either holds a control character: a line break
/// would end the User-Agent header and start another one of the user's making.
void check_user_agent(const std::optional<std::string>& user_agent,
                      const std::string& user_agent_comment);

} // namespace certsmith::compat
