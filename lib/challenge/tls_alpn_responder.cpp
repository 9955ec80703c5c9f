#include "challenge/tls_alpn_responder.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <iterator>
#include <list>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace certsmith::challenge {

namespace {

// A CA opens a handful of connections per name, each from its own validation
// address. Anyone who can reach the port can connect too, so one source (an
// IPv4 address or IPv6 /64) holds at most a few connections, and when all are
// taken the oldest that has not sent its ClientHello makes room: silent
// connections cannot keep the CA out.
constexpr std::size_t k_max_connections = 64;
constexpr std::size_t k_max_connections_per_source = 4;
// Dropped connections wind down on their own threads; past this many threads
// in all, a new connection waits for them (it is turned away).
constexpr std::size_t k_max_threads = 2 * k_max_connections;
constexpr int k_accept_poll_milliseconds = 1000;
constexpr auto k_accept_backoff = std::chrono::milliseconds(100);

// Where to listen: one socket, described for bind() and for messages.
struct ListenSpec {
  int family = AF_INET6;
  bool v6only = false;
  sockaddr_in ipv4{};
  sockaddr_in6 ipv6{};
  std::string label_host; // "[::]", "0.0.0.0", "192.0.2.1", "[2001:db8::1]"
};

ListenSpec any_ipv6(std::uint16_t port) {
  ListenSpec spec;
  spec.ipv6.sin6_family = AF_INET6;
  spec.ipv6.sin6_port = htons(port);
  spec.ipv6.sin6_addr = in6addr_any;
  spec.label_host = "[::]";
  return spec;
}

ListenSpec any_ipv4(std::uint16_t port) {
  ListenSpec spec;
  spec.family = AF_INET;
  spec.ipv4.sin_family = AF_INET;
  spec.ipv4.sin_port = htons(port);
  spec.ipv4.sin_addr.s_addr = htonl(INADDR_ANY);
  spec.label_host = "0.0.0.0";
  return spec;
}

ListenSpec parse_literal(const std::string& address, std::uint16_t port) {
  std::string literal = address;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  ListenSpec spec = any_ipv4(port);
  if (literal.find('\0') == std::string::npos &&
      inet_pton(AF_INET, literal.c_str(), &spec.ipv4.sin_addr) == 1) {
    spec.label_host = literal;
    return spec;
  }
  spec = any_ipv6(port);
  spec.v6only = true;
  if (literal.find('\0') == std::string::npos &&
      inet_pton(AF_INET6, literal.c_str(), &spec.ipv6.sin6_addr) == 1) {
    spec.label_host = "[" + literal + "]";
    return spec;
  }
  throw ChallengeError(
      fmt::format("invalid listen address \"{}\" for tls-alpn-01: expected an IPv4 or IPv6 literal",
                  util::escape_untrusted(address, 200)));
}

// A bound, listening, non-blocking socket, or -1 with errno set.
int open_listener(const ListenSpec& spec) {
  const int fd = socket(spec.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return -1;
  }
  const int on = 1;
  const int v6only = spec.v6only ? 1 : 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int rc = 0;
  if (spec.family == AF_INET) {
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&spec.ipv4), sizeof spec.ipv4);
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&spec.ipv6), sizeof spec.ipv6);
  }
  if (rc != 0 || listen(fd, SOMAXCONN) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool ipv6_unavailable(int error) {
  return error == EAFNOSUPPORT || error == EADDRNOTAVAIL || error == EPROTONOSUPPORT;
}

ChallengeError listen_failure(const ListenSpec& spec, std::uint16_t port, int error) {
  const std::string where = fmt::format("{}:{}", spec.label_host, port);
  const std::string reason = std::generic_category().message(error);
  if (error == EADDRINUSE) {
    return ChallengeError(fmt::format(
        "cannot listen on {} for tls-alpn-01: {} — is a web server using it?", where, reason));
  }
  if (error == EACCES) {
    return ChallengeError(
        fmt::format("cannot listen on {} for tls-alpn-01: {} (ports below 1024 need root or "
                    "CAP_NET_BIND_SERVICE)",
                    where, reason));
  }
  return ChallengeError(fmt::format("cannot listen on {} for tls-alpn-01: {}", where, reason));
}

// One accepted connection. fd and finished change only under the connection
// mutex, so the destructor never shuts down a descriptor already closed (and
// perhaps reused).
struct Connection {
  int fd = -1;
  std::string source;
  bool finished = false;
  bool dropped = false;
  std::atomic<bool> client_hello_seen{false};
  std::thread thread;

  bool holds_slot() const { return !finished && !dropped; }
};

// The source a connection is counted against: the IPv4 address (also when
// mapped into IPv6), or the IPv6 /64 (one host usually has a whole /64).
std::string source_of(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(peer);
    inet_ntop(AF_INET, &ipv4.sin_addr, text, sizeof text);
    return text;
  }
  if (peer.ss_family != AF_INET6) {
    return "unknown";
  }
  in6_addr address = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&address)) {
    inet_ntop(AF_INET, &address.s6_addr[12], text, sizeof text);
    return text;
  }
  std::fill(std::begin(address.s6_addr) + 8, std::end(address.s6_addr), 0);
  inet_ntop(AF_INET6, &address, text, sizeof text);
  return std::string(text) + "/64";
}

} // namespace

struct TlsAlpnResponder::Impl {
  crypto::TlsAlpnServer server;
  crypto::TlsAlpnServeLimits limits{};
  int listener = -1;
  int wake_read = -1;
  int wake_write = -1;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex connections_mutex;
  std::list<Connection> connections;

  void accept_loop();
  void accept_one();
  bool make_room_for(const std::string& source);
  void serve(Connection& connection);
  void join_finished();
  void close_descriptors();
};

void TlsAlpnResponder::Impl::accept_loop() {
  while (!stopping) {
    pollfd descriptors[2] = {{listener, POLLIN, 0}, {wake_read, POLLIN, 0}};
    const int ready = poll(descriptors, 2, k_accept_poll_milliseconds);
    if (stopping) {
      return;
    }
    join_finished();
    if (ready > 0 && (descriptors[0].revents & POLLIN) != 0) {
      accept_one();
    }
  }
}

void TlsAlpnResponder::Impl::accept_one() {
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof peer;
  const int fd = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    // Out of descriptors or memory: poll would report the pending connection
    // again at once, so wait a little instead of spinning.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      std::this_thread::sleep_for(k_accept_backoff);
    }
    return;
  }
  std::string source = source_of(peer);
  std::lock_guard lock(connections_mutex);
  if (!make_room_for(source)) {
    close(fd);
    return;
  }
  Connection& connection = connections.emplace_back();
  connection.fd = fd;
  connection.source = std::move(source);
  try {
    connection.thread = std::thread([this, &connection] { serve(connection); });
  } catch (const std::system_error& error) {
    util::log_debug("tls-alpn-01: cannot start a connection thread: {}", error.what());
    close(fd);
    connections.pop_back();
  }
}

// Under connections_mutex: whether a connection from source may be served,
// cutting off the oldest silent connection when every slot is taken.
bool TlsAlpnResponder::Impl::make_room_for(const std::string& source) {
  std::size_t open = 0;
  std::size_t from_source = 0;
  Connection* oldest_silent = nullptr;
  for (Connection& connection : connections) {
    if (!connection.holds_slot()) {
      continue;
    }
    ++open;
    from_source += connection.source == source ? 1 : 0;
    if (oldest_silent == nullptr && !connection.client_hello_seen) {
      oldest_silent = &connection;
    }
  }
  if (from_source >= k_max_connections_per_source) {
    util::log_debug("tls-alpn-01: {} already has {} connections open, turning one away", source,
                    from_source);
    return false;
  }
  if (connections.size() >= k_max_threads) {
    util::log_debug("tls-alpn-01: {} connections still closing, turning one away",
                    connections.size());
    return false;
  }
  if (open < k_max_connections) {
    return true;
  }
  if (oldest_silent == nullptr) {
    util::log_debug("tls-alpn-01: {} handshakes under way, turning one away", open);
    return false;
  }
  util::log_debug("tls-alpn-01: {} connections open, dropping a silent one from {}", open,
                  oldest_silent->source);
  // Its thread sees the connection end, closes the descriptor and finishes.
  shutdown(oldest_silent->fd, SHUT_RDWR);
  oldest_silent->dropped = true;
  return true;
}

void TlsAlpnResponder::Impl::serve(Connection& connection) {
  crypto::TlsAlpnHandshake handshake;
  try {
    handshake = server.serve(connection.fd, limits, &connection.client_hello_seen);
  } catch (const std::exception& error) {
    handshake.failure = error.what();
  }
  try {
    if (handshake.completed) {
      util::log_debug("tls-alpn-01: presented the validation certificate for {}",
                      handshake.server_name);
    } else {
      util::log_debug("tls-alpn-01: handshake for \"{}\" refused: {}", handshake.server_name,
                      handshake.failure);
    }
  } catch (...) {
  }
  std::lock_guard lock(connections_mutex);
  close(connection.fd);
  connection.fd = -1;
  connection.finished = true;
}

void TlsAlpnResponder::Impl::join_finished() {
  std::list<Connection> finished;
  {
    std::lock_guard lock(connections_mutex);
    for (auto it = connections.begin(); it != connections.end();) {
      const auto next = std::next(it);
      if (it->finished) {
        finished.splice(finished.end(), connections, it);
      }
      it = next;
    }
  }
  for (Connection& connection : finished) {
    connection.thread.join();
  }
}

void TlsAlpnResponder::Impl::close_descriptors() {
  for (int* fd : {&listener, &wake_read, &wake_write}) {
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  }
}

TlsAlpnResponder::TlsAlpnResponder(const std::string& address, std::uint16_t port,
                                   std::chrono::milliseconds handshake_timeout,
                                   std::chrono::milliseconds client_hello_timeout)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->limits = {client_hello_timeout, handshake_timeout};
  ListenSpec spec = address.empty() ? any_ipv6(port) : parse_literal(address, port);
  m_impl->listener = open_listener(spec);
  int error = errno;
  if (m_impl->listener < 0 && address.empty() && ipv6_unavailable(error)) {
    spec = any_ipv4(port);
    m_impl->listener = open_listener(spec);
    error = errno;
  }
  if (m_impl->listener < 0) {
    throw listen_failure(spec, port, error);
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    error = errno;
    m_impl->close_descriptors();
    throw ChallengeError(fmt::format("cannot start the tls-alpn-01 responder: {}",
                                     std::generic_category().message(error)));
  }
  m_impl->wake_read = wake[0];
  m_impl->wake_write = wake[1];
  try {
    m_impl->acceptor = std::thread([impl = m_impl.get()] { impl->accept_loop(); });
  } catch (const std::system_error& error) {
    m_impl->close_descriptors();
    throw ChallengeError(fmt::format("cannot start the tls-alpn-01 responder: {}", error.what()));
  }
}

TlsAlpnResponder::~TlsAlpnResponder() {
  m_impl->stopping = true;
  const char byte = 0;
  [[maybe_unused]] const auto written = write(m_impl->wake_write, &byte, 1);
  m_impl->acceptor.join();
  {
    // Clients still in their handshake are cut off rather than waited for.
    std::lock_guard lock(m_impl->connections_mutex);
    for (const Connection& connection : m_impl->connections) {
      if (!connection.finished) {
        shutdown(connection.fd, SHUT_RDWR);
      }
    }
  }
  for (Connection& connection : m_impl->connections) {
    connection.thread.join();
  }
  m_impl->close_descriptors();
}

void TlsAlpnResponder::add(const crypto::TlsAlpnCertificate& certificate) {
  m_impl->server.add(certificate);
}

void TlsAlpnResponder::remove(const crypto::TlsAlpnCertificate& certificate) {
  m_impl->server.remove(certificate);
}

std::uint16_t TlsAlpnResponder::port() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(m_impl->listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
}

} // namespace certsmith::challenge
