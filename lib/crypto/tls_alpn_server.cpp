#include "crypto/openssl_handles.hpp"
#include "crypto/tls_alpn.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <optional>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <vector>

namespace certsmith::crypto {

namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, detail::Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, detail::Deleter<SSL_free>>;

// What the callbacks learn about one connection, for the caller's log line.
struct ConnectionState {
  std::string server_name;
  std::string refusal;
  bool client_hello_seen = false;
  std::atomic<bool>* announce_client_hello = nullptr;
};

// Reads one length-prefixed field of a ClientHello extension body; nullopt when
// the declared length runs past the end (a hostile or broken client).
class ExtensionReader {
public:
  ExtensionReader(const unsigned char* data, std::size_t size) : m_data(data), m_size(size) {}
  bool at_end() const { return m_offset == m_size; }
  std::optional<std::size_t> length(int bytes) {
    if (m_size - m_offset < static_cast<std::size_t>(bytes)) {
      return std::nullopt;
    }
    std::size_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value = (value << 8) | m_data[m_offset++];
    }
    return value;
  }
  std::optional<std::string_view> bytes(std::size_t count) {
    if (m_size - m_offset < count) {
      return std::nullopt;
    }
    const std::string_view text(reinterpret_cast<const char*>(m_data + m_offset), count);
    m_offset += count;
    return text;
  }

private:
  const unsigned char* m_data;
  std::size_t m_size;
  std::size_t m_offset = 0;
};

// RFC 7301 §3.1: ProtocolNameList; true when "acme-tls/1" is one of them.
bool offers_acme_tls(const unsigned char* data, std::size_t size) {
  ExtensionReader reader(data, size);
  const auto list_length = reader.length(2);
  if (!list_length || *list_length != size - 2) {
    return false;
  }
  bool found = false;
  while (!reader.at_end()) {
    const auto name_length = reader.length(1);
    const auto name = name_length ? reader.bytes(*name_length) : std::nullopt;
    if (!name) {
      return false;
    }
    found = found || *name == k_acme_tls_alpn_protocol;
  }
  return found;
}

// RFC 6066 §3: ServerNameList; the host_name entry, lower-cased.
std::optional<std::string> requested_host_name(const unsigned char* data, std::size_t size) {
  ExtensionReader reader(data, size);
  const auto list_length = reader.length(2);
  if (!list_length || *list_length != size - 2) {
    return std::nullopt;
  }
  while (!reader.at_end()) {
    const auto type = reader.length(1);
    const auto name_length = type ? reader.length(2) : std::nullopt;
    const auto name = name_length ? reader.bytes(*name_length) : std::nullopt;
    if (!name) {
      return std::nullopt;
    }
    if (*type == TLSEXT_NAMETYPE_host_name) {
      std::string lowered;
      for (const char c : *name) {
        lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      return lowered;
    }
  }
  return std::nullopt;
}

std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) {
    return "connection closed";
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

} // namespace

struct TlsAlpnServer::Impl {
  SslCtxPtr context;
  std::mutex mutex;
  // Per server name, every certificate presented and not yet withdrawn, oldest
  // first: parallel orders for one name (renew workers) each add their own, the
  // newest is served, and a cleanup takes away exactly its own.
  std::map<std::string, std::vector<TlsAlpnCertificate>, std::less<>> certificates;

  std::optional<TlsAlpnCertificate> lookup(std::string_view server_name) {
    std::lock_guard lock(mutex);
    const auto found = certificates.find(server_name);
    if (found == certificates.end() || found->second.empty()) {
      return std::nullopt;
    }
    return found->second.back();
  }
};

namespace {

// Runs before any certificate or protocol is chosen, so a client that offers no
// "acme-tls/1" (or no ALPN at all) or names no served host never sees a
// validation certificate: the handshake ends with an alert instead.
int on_client_hello(SSL* ssl, int* alert, void* argument) {
  auto* impl = static_cast<TlsAlpnServer::Impl*>(argument);
  auto* state = static_cast<ConnectionState*>(SSL_get_app_data(ssl));
  state->client_hello_seen = true;
  if (state->announce_client_hello != nullptr) {
    state->announce_client_hello->store(true);
  }
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  std::optional<std::string> host;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &size) == 1) {
    host = requested_host_name(data, size);
  }
  if (host) {
    state->server_name = util::escape_untrusted(*host, 256);
  }
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                &size) != 1 ||
      !offers_acme_tls(data, size)) {
    state->refusal = "client did not offer ALPN acme-tls/1";
    *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
  }
  const auto certificate = host ? impl->lookup(*host) : std::nullopt;
  if (!certificate) {
    state->refusal = host ? "no challenge for this server name" : "client sent no server name";
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (SSL_use_certificate(ssl, certificate->x509()) != 1 ||
      SSL_use_PrivateKey(ssl, certificate->key()) != 1) {
    state->refusal = "cannot load the validation certificate: " + openssl_reason();
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

// RFC 8737 §3: the negotiated protocol must be "acme-tls/1" (the client hello
// callback already refused clients that do not offer it).
int on_alpn_select(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                   const unsigned char* in, unsigned int in_length, void* /*argument*/) {
  unsigned int offset = 0;
  while (offset < in_length) {
    const unsigned int length = in[offset];
    if (length > in_length - offset - 1) {
      break;
    }
    const std::string_view name(reinterpret_cast<const char*>(in + offset + 1), length);
    if (name == k_acme_tls_alpn_protocol) {
      *out = in + offset + 1;
      *out_length = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    offset += 1 + length;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// A peer that resets the connection would make OpenSSL's write() raise SIGPIPE,
// which kills the process. Blocked on this thread for the handshake, a SIGPIPE
// stays pending and is taken back here before the mask is restored.
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigemptyset(&m_sigpipe);
    sigaddset(&m_sigpipe, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    m_was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &m_sigpipe, &m_previous);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (!m_was_pending && sigismember(&pending, SIGPIPE) == 1) {
      const timespec no_wait{0, 0};
      sigtimedwait(&m_sigpipe, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
  sigset_t m_sigpipe{};
  sigset_t m_previous{};
  bool m_was_pending = false;
};

bool set_non_blocking(int socket) {
  const int flags = fcntl(socket, F_GETFL);
  return flags >= 0 && fcntl(socket, F_SETFL, flags | O_NONBLOCK) == 0;
}

} // namespace

TlsAlpnServer::TlsAlpnServer() : m_impl(std::make_unique<Impl>()) {
  m_impl->context.reset(SSL_CTX_new(TLS_server_method()));
  if (!m_impl->context) {
    detail::throw_crypto_error("cannot create the tls-alpn-01 TLS context");
  }
  SSL_CTX* context = m_impl->context.get();
  // RFC 8737 §4: TLS 1.2 or later. No sessions: every handshake is a full one.
  if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1) {
    detail::throw_crypto_error("cannot require TLS 1.2 for tls-alpn-01");
  }
  SSL_CTX_set_options(context, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(context, 0);
  SSL_CTX_set_client_hello_cb(context, &on_client_hello, m_impl.get());
  SSL_CTX_set_alpn_select_cb(context, &on_alpn_select, nullptr);
}

TlsAlpnServer::~TlsAlpnServer() = default;

void TlsAlpnServer::add(const TlsAlpnCertificate& certificate) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->certificates[certificate.server_name()].push_back(certificate);
}

void TlsAlpnServer::remove(const TlsAlpnCertificate& certificate) {
  std::lock_guard lock(m_impl->mutex);
  const auto found = m_impl->certificates.find(certificate.server_name());
  if (found == m_impl->certificates.end()) {
    return;
  }
  // The newest copy of this very certificate goes; the others stay as they were.
  auto& presented = found->second;
  const auto newest = std::find(presented.rbegin(), presented.rend(), certificate);
  if (newest != presented.rend()) {
    presented.erase(std::next(newest).base());
  }
  if (presented.empty()) {
    m_impl->certificates.erase(found);
  }
}

TlsAlpnHandshake TlsAlpnServer::serve(int socket, const TlsAlpnServeLimits& limits,
                                      std::atomic<bool>* client_hello_seen) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const auto client_hello_limit = std::min(limits.client_hello, limits.handshake);
  TlsAlpnHandshake result;
  ConnectionState state;
  state.announce_client_hello = client_hello_seen;
  const SigpipeBlock sigpipe_block;
  ERR_clear_error();
  SslPtr ssl(SSL_new(m_impl->context.get()));
  if (!ssl || !set_non_blocking(socket) || SSL_set_fd(ssl.get(), socket) != 1) {
    result.failure = "cannot set up TLS: " + openssl_reason();
    return result;
  }
  SSL_set_app_data(ssl.get(), &state);
  for (;;) {
    const int rc = SSL_accept(ssl.get());
    if (rc == 1) {
      result.completed = true;
      break;
    }
    const int error = SSL_get_error(ssl.get(), rc);
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      result.failure = state.refusal.empty() ? openssl_reason() : state.refusal;
      break;
    }
    const auto deadline =
        started + (state.client_hello_seen ? limits.handshake : client_hello_limit);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd descriptor{socket, events, 0};
    const int ready = left > 0 ? poll(&descriptor, 1, static_cast<int>(left)) : 0;
    if (ready == 0) {
      result.failure = state.client_hello_seen || client_hello_limit == limits.handshake
                           ? "handshake timed out"
                           : "no ClientHello in time";
      break;
    }
    if (ready < 0 && errno != EINTR) {
      result.failure = fmt::format("poll failed: {}", std::generic_category().message(errno));
      break;
    }
  }
  if (result.completed) {
    // RFC 8737 §3: the client closes right after the handshake; a close_notify
    // is a courtesy, sent once without waiting for the peer's.
    SSL_shutdown(ssl.get());
  }
  ERR_clear_error();
  result.server_name = state.server_name;
  return result;
}

} // namespace certsmith::crypto
