#pragma once
// Who listens on a TCP port already, for the finding "port 80 is in use": the
// kernel's socket tables (/proc/net/tcp, tcp6) give the socket's inode, and a
// process's /proc/PID/fd links name the sockets it holds.

#include <cstdint>
#include <filesystem>
#include <string>

namespace certsmith::preflight {

/// "nginx (pid 812)", or "" when nothing is seen listening on port or the
/// process cannot be told (another user's, without root). The command name is
/// escaped: anyone can name a process. `proc` is /proc except in tests.
std::string port_holder(std::uint16_t port, const std::filesystem::path& proc = "/proc");

} // namespace certsmith::preflight
