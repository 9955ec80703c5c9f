#pragma once
// RFC 8555 §6.7 / RFC 7807 problem documents, and the errors the protocol layer
// throws. This is the one place where an HTTP error response becomes a typed error.

#include "http/transport.hpp"
#include "util/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::acme {

inline constexpr std::string_view k_acme_error_prefix = "urn:ietf:params:acme:error:";

struct Subproblem {
  std::string type;
  std::string detail;
  std::string identifier; // the identifier's value, "" when absent
};

struct Problem {
  std::string type;   // full URN, "" when the server sent no problem document
  std::string detail; // as sent (untrusted: escape before printing)
  long status = 0;    // HTTP status of the response
  std::vector<Subproblem> subproblems;
  std::optional<std::chrono::seconds> retry_after;
  /// When Retry-After says to come back, uncapped by the polling limit (a rate
  /// limit may last days).
  std::optional<std::chrono::system_clock::time_point> retry_at;

  bool is_rate_limit() const { return short_type() == "rateLimited"; }

  /// "badNonce" for "urn:ietf:params:acme:error:badNonce"; the full type otherwise.
  std::string short_type() const;
  /// One line for a person: "rateLimited: too many certificates ... (retry after 3600 s)".
  std::string describe() const;
};

/// Build a Problem from an error response, tolerating bodies that are not
/// problem documents (HTML error pages, empty bodies).
Problem problem_from_response(const http::Response& response);

/// The CA answered with a problem document.
class AcmeError : public Error {
public:
  explicit AcmeError(Problem problem);
  const Problem& problem() const { return m_problem; }
  ExitCode exit_code() const override { return ExitCode::acme; }

private:
  Problem m_problem;
};

/// The CA's answer broke the protocol: malformed JSON, a missing field, a token
/// that is not base64url, a URL on another scheme.
class ProtocolError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::acme; }
};

} // namespace certsmith::acme
