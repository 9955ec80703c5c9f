#pragma once
// The network seam. acme/ sees HTTP only through Transport; unit tests script
// it (tests/support/scripted_transport.hpp), the program uses libcurl.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certsmith::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET"; // GET, HEAD or POST
  std::string url;
  Headers headers; // e.g. {"Content-Type", "application/jose+json"}
  std::string body;
};

struct Response {
  long status = 0;
  Headers headers; // names lower-cased, in arrival order
  std::string body;
  std::string url; // the URL that was asked (redirects are never followed)

  /// First header with this (case-insensitive) name.
  std::optional<std::string> header(std::string_view name) const;
  /// Every header with this name, in order (e.g. several Link headers).
  std::vector<std::string> headers_named(std::string_view name) const;
};

class Transport {
public:
  virtual ~Transport() = default;
  /// Perform one exchange. Throws NetworkError on connection failure, timeout,
  /// or a body larger than the configured cap. HTTP error statuses are returned.
  virtual Response perform(const Request& request) = 0;
};

struct TransportOptions {
  std::string ca_bundle; // PEM file of trusted CAs; "" = system store
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::string user_agent; // "" = "certsmith/<version> libcurl/<version>"
  std::string user_agent_comment; // added to that default as " (comment)", as certbot's
};

/// libcurl transport: keep-alive connections; proxies from the usual environment
/// variables; only http and https; never follows redirects; bodies over
/// max_body_bytes and more than 100 headers or 64 KiB of headers are refused.
/// Safe to share between threads: each concurrent perform() borrows its own
/// easy handle from a small pool, so sequential calls reuse one connection.
std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

/// The CA bundle named by $REQUESTS_CA_BUNDLE (as certbot reads it), or "" when unset.
std::string ca_bundle_from_environment();

} // namespace certsmith::http
