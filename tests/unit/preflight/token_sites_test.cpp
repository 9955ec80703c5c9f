#include "preflight/port_holder.hpp"
#include "preflight/token_sites.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace certsmith;
using namespace certsmith::preflight;

namespace {

// A TCP socket listening on a free loopback port, as another program would.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
};

} // namespace

TEST_CASE("a standalone port in use is a finding naming what holds it, not an abort") {
  Listener taken;
  TokenSiteSpec spec;
  spec.kind = TokenSiteSpec::Kind::standalone;
  spec.address = "127.0.0.1";
  spec.port = taken.port;
  std::optional<Finding> problem;
  auto site = open_token_site(spec, problem);
  CHECK(site == nullptr);
  REQUIRE(problem);
  CHECK(problem->status == Status::fail);
  CHECK(problem->check == "http-01");
  CHECK(problem->detail.find("unit_preflight (pid " + std::to_string(::getpid()) + ")") !=
        std::string::npos);
  CHECK(problem->fix.find("--webroot") != std::string::npos);
}

TEST_CASE("port_holder: nothing listening, and hostile /proc content") {
  CHECK(port_holder(1).empty()); // nobody may listen on tcpmux in a test box
  const auto proc = std::filesystem::temp_directory_path() / "certsmith-f2-proc";
  std::filesystem::remove_all(proc);
  std::filesystem::create_directories(proc / "net");
  std::filesystem::create_directories(proc / "42" / "fd");
  std::ofstream(proc / "net" / "tcp")
      << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
         "timeout inode\n"
      << "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
         "      0 777 1\n"
      << "garbage line\n   1: 0100007F:zzzz 00000000:0000 0A\n";
  std::ofstream(proc / "42" / "comm") << "evil\x1b[2J\n";
  std::filesystem::create_symlink("socket:[777]", proc / "42" / "fd" / "3");
  const std::string holder = port_holder(80, proc);
  CHECK(holder.find("pid 42") != std::string::npos);
  CHECK(holder.find('\x1b') == std::string::npos);
  std::filesystem::remove_all(proc);
}

namespace {

// A child process holding many descriptors, so that reading its /proc/PID/fd
// takes several getdents calls; killed from another thread while the scan runs.
pid_t child_with_many_fds(int ready_pipe) {
  const pid_t child = ::fork();
  if (child == 0) {
    for (int i = 0; i < 3000; ++i)
      (void)!::dup(ready_pipe); // leaked on purpose: only their number matters
    const char byte = 'x';
    (void)!::write(ready_pipe, &byte, 1);
    ::pause();
    ::_exit(0);
  }
  return child;
}

} // namespace

TEST_CASE("port_holder: a process exiting mid-scan ends its part of the scan, never throws") {
  const auto proc =
      std::filesystem::temp_directory_path() / ("certsmith-x1-proc-" + std::to_string(::getpid()));
  std::filesystem::remove_all(proc);
  std::filesystem::create_directories(proc / "net");
  // Inode 888 listens on port 80 but no scanned process holds it: every fd is read.
  std::ofstream(proc / "net" / "tcp")
      << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
         "timeout inode\n"
      << "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
         "      0 888 1\n";
  // Also a pid dir whose fd is a file, not a directory.
  std::filesystem::create_directories(proc / "41");
  std::ofstream(proc / "41" / "fd") << "not a directory\n";
  for (int round = 0; round < 40; ++round) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = child_with_many_fds(pipe_fds[1]);
    REQUIRE(child > 0);
    char byte = 0;
    REQUIRE(::read(pipe_fds[0], &byte, 1) == 1);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::filesystem::remove(proc / "42");
    std::filesystem::create_directory_symlink("/proc/" + std::to_string(child), proc / "42");
    std::thread killer([child, round] {
      std::this_thread::sleep_for(std::chrono::microseconds(50 * (round % 20)));
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0); // reaped: /proc/PID goes away, not a zombie's
    });
    std::string holder;
    CHECK_NOTHROW(holder = port_holder(80, proc));
    CHECK(holder.empty());
    killer.join();
  }
  std::filesystem::remove_all(proc);
}
