#include "certsmith_version.hpp"
#include "http/transport.hpp"
#include "http/transport_error.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cctype>
#include <curl/curl.h>
#include <fmt/format.h>
#include <mutex>
#include <system_error>

namespace certsmith::http {

namespace {

constexpr std::size_t k_max_header_count = 100;
constexpr std::size_t k_max_header_bytes = 64 * 1024;
// Idle handles kept for keep-alive; more concurrent exchanges than this still
// work, their extra handles are just not kept afterwards.
constexpr std::size_t k_max_idle_handles = 8;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// Text that came from outside (a URL, curl's message quoting a server) may hold
// control characters; keep error lines to one printable line.
std::string printable(std::string_view text) {
  return util::escape_untrusted(text, 300);
}

std::string url_part(CURLU* url, CURLUPart part, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) {
    return {};
  }
  std::string result(value);
  curl_free(value);
  return result;
}

struct Target {
  std::string host;     // as in the URL, IPv6 literals in brackets
  std::string endpoint; // host:port, for messages
};

Target parse_target(const std::string& url_text) {
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url) {
    throw NetworkError("out of memory parsing a URL");
  }
  if (curl_url_set(url.get(), CURLUPART_URL, url_text.c_str(), CURLU_NON_SUPPORT_SCHEME) !=
      CURLUE_OK) {
    throw NetworkError(fmt::format("invalid URL \"{}\"", printable(url_text)));
  }
  const std::string scheme = url_part(url.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    throw NetworkError(
        fmt::format("refusing URL \"{}\": only http and https are allowed", printable(url_text)));
  }
  Target target;
  target.host = printable(url_part(url.get(), CURLUPART_HOST));
  target.endpoint =
      target.host + ":" + printable(url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT));
  return target;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Per-exchange state the libcurl callbacks fill in.
struct Exchange {
  Response response;
  std::size_t max_body_bytes = 0;
  std::size_t header_count = 0;
  std::size_t header_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t length = size * count;
  // CURLOPT_MAXFILESIZE only sees Content-Length; chunked or close-delimited
  // bodies have none, so the cap has to be enforced here.
  if (length > exchange->max_body_bytes - exchange->response.body.size()) {
    exchange->body_too_large = true;
    return 0;
  }
  exchange->response.body.append(data, length);
  return length;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t length = size * count;
  exchange->header_bytes += length;
  if (exchange->header_bytes > k_max_header_bytes) {
    exchange->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  auto& headers = exchange->response.headers;
  if (line.starts_with("HTTP/")) {
    // A new status line: a 1xx interim response or a proxy's CONNECT reply
    // came before; only the final response's headers count.
    headers.clear();
    exchange->header_count = 0;
    return length;
  }
  if (line.empty()) {
    return length;
  }
  if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
    headers.back().second += ' ';
    headers.back().second += trim(line);
    return length;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return length;
  }
  if (++exchange->header_count > k_max_header_count) {
    exchange->headers_too_large = true;
    return 0;
  }
  std::string name(trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return length;
}

template <typename Value> void set_option(CURL* handle, CURLoption option, Value value) {
  const CURLcode rc = curl_easy_setopt(handle, option, value);
  if (rc != CURLE_OK) {
    throw NetworkError(fmt::format("cannot configure libcurl: {}", curl_easy_strerror(rc)));
  }
}

void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw NetworkError(fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(result)));
  }
}

std::string curl_reason(CURLcode rc, const char* error_buffer) {
  if (error_buffer[0] != '\0') {
    return printable(error_buffer);
  }
  return curl_easy_strerror(rc);
}

class CurlTransport final : public Transport {
public:
  explicit CurlTransport(const TransportOptions& options) : m_options(options) {
    init_curl_once();
    if (m_options.user_agent.empty()) {
      m_options.user_agent = fmt::format("certsmith/{} libcurl/{}", k_version,
                                         curl_version_info(CURLVERSION_NOW)->version);
      if (!m_options.user_agent_comment.empty())
        m_options.user_agent += fmt::format(" ({})", m_options.user_agent_comment);
    }
  }

  Response perform(const Request& request) override {
    const Target target = parse_target(request.url);
    EasyHandle handle = borrow();
    Exchange exchange;
    exchange.max_body_bytes = m_options.max_body_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {};
    const Slist headers = header_list(request);
    configure(handle.get(), request, headers.get(), exchange, error_buffer);

    const CURLcode rc = curl_easy_perform(handle.get());
    long os_errno = 0;
    curl_easy_getinfo(handle.get(), CURLINFO_OS_ERRNO, &os_errno);
    long status = 0;
    curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
    give_back(std::move(handle));

    if (exchange.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      throw TransportError(FailureKind::body_too_large,
                           fmt::format("response from {} larger than {} bytes", target.host,
                                       m_options.max_body_bytes));
    }
    if (exchange.headers_too_large) {
      throw TransportError(
          FailureKind::headers_too_large,
          fmt::format("response from {} has more than {} headers or {} bytes of them", target.host,
                      k_max_header_count, k_max_header_bytes));
    }
    if (rc != CURLE_OK) {
      throw TransportError(failure_kind_of_curl_code(rc),
                           describe_failure(rc, os_errno, error_buffer, target));
    }
    exchange.response.status = status;
    exchange.response.url = request.url;
    return std::move(exchange.response);
  }

private:
  EasyHandle borrow() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        EasyHandle handle = std::move(m_idle.back());
        m_idle.pop_back();
        return handle;
      }
    }
    EasyHandle handle(curl_easy_init());
    if (!handle) {
      throw NetworkError("cannot create a libcurl handle");
    }
    return handle;
  }

  void give_back(EasyHandle handle) {
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < k_max_idle_handles) {
      m_idle.push_back(std::move(handle));
    }
  }

  static Slist header_list(const Request& request) {
    Slist list;
    auto append = [&list](const std::string& line) {
      curl_slist* extended = curl_slist_append(list.get(), line.c_str());
      if (extended == nullptr) {
        throw NetworkError("out of memory building request headers");
      }
      list.release();
      list.reset(extended);
    };
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || name.find(':') != std::string::npos || has_line_break(name) ||
          has_line_break(value)) {
        throw NetworkError(
            fmt::format("refusing to send malformed request header \"{}\"", printable(name)));
      }
      append(name + ": " + value);
    }
    // An extra round trip for "Expect: 100-continue" buys nothing for small JWS bodies.
    append("Expect:");
    return list;
  }

  void configure(CURL* handle, const Request& request, curl_slist* headers, Exchange& exchange,
                 char* error_buffer) const {
    // reset keeps the connection cache, which is what keep-alive needs.
    curl_easy_reset(handle);
    set_option(handle, CURLOPT_ERRORBUFFER, error_buffer);
    set_option(handle, CURLOPT_URL, request.url.c_str());
    set_option(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    set_option(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set_option(handle, CURLOPT_FOLLOWLOCATION, 0L);
    set_option(handle, CURLOPT_NOSIGNAL, 1L);
    set_option(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    set_option(handle, CURLOPT_CONNECTTIMEOUT_MS,
               static_cast<long>(m_options.connect_timeout.count()));
    set_option(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.total_timeout.count()));
    set_option(handle, CURLOPT_MAXFILESIZE_LARGE,
               static_cast<curl_off_t>(m_options.max_body_bytes));
    if (!m_options.ca_bundle.empty()) {
      set_option(handle, CURLOPT_CAINFO, m_options.ca_bundle.c_str());
    }
    set_option(handle, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    set_option(handle, CURLOPT_HTTPHEADER, headers);
    set_option(handle, CURLOPT_WRITEFUNCTION, &on_body);
    set_option(handle, CURLOPT_WRITEDATA, static_cast<void*>(&exchange));
    set_option(handle, CURLOPT_HEADERFUNCTION, &on_header);
    set_option(handle, CURLOPT_HEADERDATA, static_cast<void*>(&exchange));
    if (request.method == "GET") {
      set_option(handle, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      set_option(handle, CURLOPT_NOBODY, 1L);
    } else if (request.method == "POST") {
      set_option(handle, CURLOPT_POST, 1L);
      set_option(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set_option(handle, CURLOPT_POSTFIELDS, request.body.data());
    } else {
      throw NetworkError(fmt::format("unsupported HTTP method \"{}\"", printable(request.method)));
    }
  }

  std::string describe_failure(CURLcode rc, long os_errno, const char* error_buffer,
                               const Target& target) const {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return fmt::format("cannot resolve {}: {}", target.host, curl_reason(rc, error_buffer));
    case CURLE_COULDNT_CONNECT:
      if (os_errno != 0) {
        return fmt::format("cannot connect to {}: {}", target.endpoint,
                           std::generic_category().message(static_cast<int>(os_errno)));
      }
      return fmt::format("cannot connect to {}: {}", target.endpoint,
                         curl_reason(rc, error_buffer));
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("timed out talking to {}: {}", target.endpoint,
                         curl_reason(rc, error_buffer));
    case CURLE_PEER_FAILED_VERIFICATION:
      return fmt::format("cannot verify the TLS certificate of {}: {}", target.endpoint,
                         curl_reason(rc, error_buffer));
    case CURLE_SSL_CACERT_BADFILE:
      return fmt::format("cannot use CA bundle \"{}\": {}", printable(m_options.ca_bundle),
                         curl_reason(rc, error_buffer));
    case CURLE_SSL_CONNECT_ERROR:
      return fmt::format("TLS handshake with {} failed: {}", target.endpoint,
                         curl_reason(rc, error_buffer));
    default:
      return fmt::format("request to {} failed: {}", target.endpoint,
                         curl_reason(rc, error_buffer));
    }
  }

  TransportOptions m_options;
  std::mutex m_mutex;
  std::vector<EasyHandle> m_idle;
};

} // namespace

FailureKind failure_kind(const NetworkError& error) {
  const auto* transport_error = dynamic_cast<const TransportError*>(&error);
  return transport_error ? transport_error->kind() : FailureKind::other;
}

FailureKind failure_kind_of_curl_code(int code) {
  switch (code) {
  case CURLE_COULDNT_CONNECT:
    return FailureKind::connect;
  case CURLE_OPERATION_TIMEDOUT:
    return FailureKind::timeout;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
    return FailureKind::tls;
  case CURLE_FILESIZE_EXCEEDED:
    return FailureKind::body_too_large;
  default:
    return FailureKind::other;
  }
}

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

} // namespace certsmith::http
