#pragma once
// The http-01 rehearsal: put a random token where the CA would look for it
// (a webroot, or a standalone responder), fetch
// http://NAME/.well-known/acme-challenge/TOKEN from this host at each address
// the name resolves to, and say which step failed. The token is removed after.

#include "http/transport.hpp"
#include "preflight/finding.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace certsmith::preflight {

/// Where tokens are put: a webroot or a standalone responder.
class TokenSite {
public:
  virtual ~TokenSite() = default;
  /// Throws ChallengeError when the token cannot be placed.
  virtual void place(const std::string& name, const std::string& token,
                     const std::string& content) = 0;
  virtual void remove(const std::string& name, const std::string& token) noexcept = 0;
  /// Says where the token went, for fix suggestions ("the webroot /srv/www").
  virtual std::string where(const std::string& name) const = 0;
};

struct SelfFetch {
  std::string name;                   // no "*." (http-01 has no wildcards)
  std::vector<std::string> addresses; // what the name resolves to
  std::uint16_t port = 80;            // the CA's; --http-01-port in tests
};

/// One finding per address. `transport` must not follow redirects (ours never does).
std::vector<Finding> check_self_fetch(const SelfFetch& target, TokenSite& site,
                                      http::Transport& transport);

/// A fresh random token (base64url of 32 random bytes).
std::string random_token();

/// The transport the self-fetch uses: the CA gives a validation a few seconds
/// (5 s to connect, 10 s in all) and a token is tiny (bodies over 64 KiB are
/// a finding of their own).
std::unique_ptr<http::Transport> make_probe_transport();

} // namespace certsmith::preflight
