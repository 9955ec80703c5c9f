#pragma once
// What kind of failure a transport's NetworkError is, so that a caller that
// advises differently (doctor: open a port, fix a firewall, serve less) does
// not have to read the message text. Thrown by the curl transport; scripted
// transports in tests may throw it too. A plain NetworkError is kind other.

#include "util/error.hpp"

#include <string>

namespace certsmith::http {

enum class FailureKind {
  connect,           // no connection: refused, unreachable
  timeout,           // the connect or total timeout passed
  tls,               // handshake or certificate verification
  body_too_large,    // more than max_body_bytes
  headers_too_large, // more than 100 headers or 64 KiB of them
  other,
};

class TransportError : public NetworkError {
public:
  TransportError(FailureKind kind, const std::string& message)
      : NetworkError(message), m_kind(kind) {}
  FailureKind kind() const { return m_kind; }

private:
  FailureKind m_kind;
};

/// The kind of a NetworkError: its TransportError kind, other for any other.
FailureKind failure_kind(const NetworkError& error);

/// The kind of a libcurl result code (a CURLcode, passed as its number so
/// that this header does not need curl.h).
FailureKind failure_kind_of_curl_code(int code);

} // namespace certsmith::http
