#pragma once
// The challenge seam. A Solver makes the CA's validation request succeed for a
// set of challenges (perform) and removes every trace afterwards (cleanup).

#include <string>
#include <vector>

namespace certsmith::challenge {

/// One challenge to satisfy, already checked: token is base64url.
struct Task {
  std::string identifier; // the domain (no "*." prefix) or IP
  std::string type;       // "http-01", "dns-01", "tls-alpn-01"
  std::string token;
  std::string key_authorization; // token + "." + account key thumbprint
};

class Solver {
public:
  virtual ~Solver() = default;
  /// The challenge type this solver answers, e.g. "http-01".
  virtual std::string type() const = 0;
  /// Make every task answerable. Throws ChallengeError with a one-line reason.
  virtual void perform(const std::vector<Task>& tasks) = 0;
  /// Undo perform; never throws (logs instead). Safe after a partial perform.
  virtual void cleanup(const std::vector<Task>& tasks) noexcept = 0;
};

} // namespace certsmith::challenge
