#include "preflight/port_holder.hpp"

#include "util/escape.hpp"

#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace certsmith::preflight {

namespace {

constexpr std::size_t k_max_table_lines = 100000; // a host with many sockets stays bounded
constexpr std::size_t k_max_fds_scanned = 1000000;

// Inodes of the sockets listening (state 0A) on port in one /proc/net table.
void listening_inodes(const std::filesystem::path& table, std::uint16_t port,
                      std::set<std::string>& inodes) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line); // the header
  for (std::size_t count = 0; count < k_max_table_lines && std::getline(in, line); ++count) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    const auto colon = local.rfind(':');
    if (state != "0A" || colon == std::string::npos) {
      continue;
    }
    unsigned long local_port = 0;
    try {
      local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
    } catch (const std::exception&) {
      continue;
    }
    if (local_port == port && inode != "0") {
      inodes.insert("socket:[" + inode + "]");
    }
  }
}

} // namespace

std::string port_holder(std::uint16_t port, const std::filesystem::path& proc) {
  std::set<std::string> inodes;
  listening_inodes(proc / "net" / "tcp", port, inodes);
  listening_inodes(proc / "net" / "tcp6", port, inodes);
  if (inodes.empty()) {
    return "";
  }
  // Processes come and go while we read /proc: a directory that vanishes or
  // cannot be read mid-scan ends that directory's scan (error_code
  // increments), it never throws filesystem_error out of doctor.
  std::error_code error;
  std::size_t scanned = 0;
  for (std::filesystem::directory_iterator process(proc, error), end; !error && process != end;
       process.increment(error)) {
    const std::string pid = process->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::error_code fd_error;
    for (std::filesystem::directory_iterator fd(process->path() / "fd", fd_error);
         !fd_error && fd != end; fd.increment(fd_error)) {
      if (++scanned > k_max_fds_scanned) {
        return "";
      }
      std::error_code link_error;
      const auto target = std::filesystem::read_symlink(fd->path(), link_error);
      if (link_error || !inodes.contains(target.string())) {
        continue;
      }
      std::ifstream comm_file(process->path() / "comm");
      std::string comm;
      std::getline(comm_file, comm);
      return fmt::format("{} (pid {})", util::escape_untrusted(comm, 64), pid);
    }
  }
  return "";
}

} // namespace certsmith::preflight
