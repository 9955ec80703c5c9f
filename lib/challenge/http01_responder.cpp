#include "challenge/http01_responder.hpp"

#include "challenge/serve_redirect.hpp"
#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <fmt/format.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <optional>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace certsmith::challenge {

namespace {

constexpr std::string_view k_challenge_prefix = "/.well-known/acme-challenge/";
constexpr unsigned int k_connection_timeout_seconds = 10;
constexpr unsigned int k_connection_limit = 256;

std::string printable(std::string_view text) {
  return util::escape_untrusted(text, 200);
}

// Where to listen: every address (dual stack or, failing that, IPv4), or one literal.
struct ListenSpec {
  enum class Kind { dual_stack, any_ipv4, ipv4, ipv6 } kind = Kind::dual_stack;
  sockaddr_in ipv4{};
  sockaddr_in6 ipv6{};
  std::string label_host; // for messages: "[::]", "0.0.0.0", "192.0.2.1", "[2001:db8::1]"
};

ListenSpec parse_address(const std::string& address, std::uint16_t port) {
  ListenSpec spec;
  spec.ipv4.sin_family = AF_INET;
  spec.ipv4.sin_port = htons(port);
  spec.ipv4.sin_addr.s_addr = htonl(INADDR_ANY);
  spec.ipv6.sin6_family = AF_INET6;
  spec.ipv6.sin6_port = htons(port);
  spec.ipv6.sin6_addr = in6addr_any;
  if (address.empty()) {
    spec.label_host = "[::]";
    return spec;
  }
  std::string literal = address;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (inet_pton(AF_INET, literal.c_str(), &spec.ipv4.sin_addr) == 1) {
    spec.kind = ListenSpec::Kind::ipv4;
    spec.label_host = literal;
    return spec;
  }
  if (inet_pton(AF_INET6, literal.c_str(), &spec.ipv6.sin6_addr) == 1) {
    spec.kind = ListenSpec::Kind::ipv6;
    spec.label_host = "[" + literal + "]";
    return spec;
  }
  throw ChallengeError(
      fmt::format("invalid listen address \"{}\" for http-01: expected an IPv4 or IPv6 literal",
                  printable(address)));
}

bool is_ipv4(const ListenSpec& spec) {
  return spec.kind == ListenSpec::Kind::ipv4 || spec.kind == ListenSpec::Kind::any_ipv4;
}

// MHD reports bind failures only in its log; a plain bind() on the same
// address recovers the errno so the user gets a precise reason.
int probe_bind(const ListenSpec& spec) {
  const int fd = socket(is_ipv4(spec) ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return errno;
  }
  const int on = 1;
  const int v6only = spec.kind == ListenSpec::Kind::ipv6 ? 1 : 0;
  // Same options MHD uses, so the probe fails exactly when MHD would.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int rc = 0;
  if (is_ipv4(spec)) {
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&spec.ipv4), sizeof spec.ipv4);
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&spec.ipv6), sizeof spec.ipv6);
  }
  const int error = rc == 0 ? 0 : errno;
  close(fd);
  return error;
}

bool ipv6_unavailable(int error) {
  return error == EAFNOSUPPORT || error == EADDRNOTAVAIL || error == EPROTONOSUPPORT;
}

} // namespace

struct Http01Responder::Impl {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> key_authorizations;
  MHD_Daemon* daemon = nullptr;
  std::mutex log_mutex;
  std::string last_log;
  Fallback fallback; // set before the daemon starts, read-only after

  std::optional<std::string> lookup(std::string_view token) {
    {
      std::lock_guard lock(mutex);
      const auto found = key_authorizations.find(token);
      if (found != key_authorizations.end()) {
        return found->second;
      }
    }
    if (fallback.lookup && crypto::is_base64url(token)) {
      return fallback.lookup(token);
    }
    return std::nullopt;
  }
};

namespace {

using Impl = Http01Responder::Impl;

void on_mhd_log(void* cls, const char* format, va_list arguments) {
  auto* impl = static_cast<Impl*>(cls);
  char line[512];
  std::vsnprintf(line, sizeof line, format, arguments);
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  std::lock_guard lock(impl->log_mutex);
  impl->last_log = printable(text);
}

MHD_Result reply(MHD_Connection* connection, unsigned int status, std::string_view body,
                 bool allow_header, const std::string* location = nullptr) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) {
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
  if (allow_header) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  }
  if (location != nullptr) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, location->c_str());
  }
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result collect_argument(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* value) {
  auto* query = static_cast<std::vector<std::pair<std::string, std::optional<std::string>>>*>(cls);
  query->emplace_back(key, value != nullptr ? std::optional<std::string>(value) : std::nullopt);
  return MHD_YES;
}

// serve --redirect-https: everything but a challenge goes to the same URL over
// https, provided the Host header names a host (else 400, nothing echoed).
MHD_Result redirect_to_https(MHD_Connection* connection, std::string_view path) {
  const char* host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  std::vector<std::pair<std::string, std::optional<std::string>>> query;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &collect_argument, &query);
  const auto location = host != nullptr ? https_location(host, path, query) : std::nullopt;
  if (!location) {
    return reply(connection, MHD_HTTP_BAD_REQUEST, "bad Host header\n", false);
  }
  return reply(connection, MHD_HTTP_MOVED_PERMANENTLY, "moved to https\n", false, &*location);
}

// Called by MHD's thread. The URL is already percent-decoded, so "%2e%2e"
// arrives as ".."; only an exact token match is ever answered.
MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* /*version*/, const char* /*upload_data*/,
                      std::size_t* /*upload_data_size*/, void** /*request_state*/) {
  auto* impl = static_cast<Impl*>(cls);
  const std::string_view verb(method);
  if (verb != MHD_HTTP_METHOD_GET && verb != MHD_HTTP_METHOD_HEAD) {
    return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", true);
  }
  const std::string_view path(url);
  if (path.starts_with(k_challenge_prefix)) {
    if (auto key_authorization = impl->lookup(path.substr(k_challenge_prefix.size()))) {
      return reply(connection, MHD_HTTP_OK, *key_authorization, false);
    }
  }
  if (impl->fallback.redirect_https && !path.starts_with(k_challenge_prefix)) {
    return redirect_to_https(connection, path);
  }
  return reply(connection, MHD_HTTP_NOT_FOUND, "not found\n", false);
}

MHD_Daemon* start_daemon(Impl& impl, const ListenSpec& spec, std::uint16_t port) {
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
  const sockaddr* address = nullptr;
  switch (spec.kind) {
  case ListenSpec::Kind::dual_stack:
    flags |= MHD_USE_DUAL_STACK;
    break;
  case ListenSpec::Kind::any_ipv4:
    break;
  case ListenSpec::Kind::ipv4:
    address = reinterpret_cast<const sockaddr*>(&spec.ipv4);
    break;
  case ListenSpec::Kind::ipv6:
    flags |= MHD_USE_IPv6;
    address = reinterpret_cast<const sockaddr*>(&spec.ipv6);
    break;
  }
  const MHD_LogCallback logger = &on_mhd_log;
  if (address != nullptr) {
    return MHD_start_daemon(flags, port, nullptr, nullptr, &on_request, &impl,
                            MHD_OPTION_EXTERNAL_LOGGER, logger, &impl,
                            MHD_OPTION_CONNECTION_TIMEOUT, k_connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_LIMIT, k_connection_limit, MHD_OPTION_SOCK_ADDR,
                            address, MHD_OPTION_END);
  }
  return MHD_start_daemon(flags, port, nullptr, nullptr, &on_request, &impl,
                          MHD_OPTION_EXTERNAL_LOGGER, logger, &impl, MHD_OPTION_CONNECTION_TIMEOUT,
                          k_connection_timeout_seconds, MHD_OPTION_CONNECTION_LIMIT,
                          k_connection_limit, MHD_OPTION_END);
}

ChallengeError listen_failure(Impl& impl, const ListenSpec& spec, std::uint16_t port, int error) {
  const std::string where = fmt::format("{}:{}", spec.label_host, port);
  if (error == 0) {
    std::lock_guard lock(impl.log_mutex);
    return ChallengeError(
        fmt::format("cannot listen on {} for http-01: {}", where,
                    impl.last_log.empty() ? "libmicrohttpd failed to start" : impl.last_log));
  }
  const std::string reason = std::generic_category().message(error);
  if (error == EADDRINUSE) {
    return ChallengeError(fmt::format(
        "cannot listen on {} for http-01: {} — is another web server using it?", where, reason));
  }
  if (error == EACCES) {
    return ChallengeError(
        fmt::format("cannot listen on {} for http-01: {} (ports below 1024 need root or "
                    "CAP_NET_BIND_SERVICE)",
                    where, reason));
  }
  return ChallengeError(fmt::format("cannot listen on {} for http-01: {}", where, reason));
}

} // namespace

Http01Responder::Http01Responder(const std::string& address, std::uint16_t port)
    : Http01Responder(address, port, Fallback{}) {}

Http01Responder::Http01Responder(const std::string& address, std::uint16_t port, Fallback fallback)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->fallback = std::move(fallback);
  ListenSpec spec = parse_address(address, port);
  m_impl->daemon = start_daemon(*m_impl, spec, port);
  if (m_impl->daemon == nullptr && spec.kind == ListenSpec::Kind::dual_stack) {
    const int error = probe_bind(spec);
    if (error != 0 && !ipv6_unavailable(error)) {
      throw listen_failure(*m_impl, spec, port, error);
    }
    spec.kind = ListenSpec::Kind::any_ipv4;
    spec.label_host = "0.0.0.0";
    m_impl->daemon = start_daemon(*m_impl, spec, port);
  }
  if (m_impl->daemon == nullptr) {
    throw listen_failure(*m_impl, spec, port, probe_bind(spec));
  }
}

Http01Responder::~Http01Responder() {
  if (m_impl->daemon != nullptr) {
    MHD_stop_daemon(m_impl->daemon);
  }
}

void Http01Responder::add(const std::string& token, const std::string& key_authorization) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->key_authorizations.insert_or_assign(token, key_authorization);
}

void Http01Responder::remove(const std::string& token) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->key_authorizations.erase(token);
}

std::uint16_t Http01Responder::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(m_impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info != nullptr ? info->port : 0;
}

} // namespace certsmith::challenge
