#pragma once
// A small HTTP server (libmicrohttpd) answering only
// GET /.well-known/acme-challenge/<token> with the key authorization
// (RFC 8555 §8.3). Shared by every lineage of a run: one port, many tokens.
// Its own thread serves requests; add/remove may be called from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::challenge {

class Http01Responder {
public:
  /// Listen on port. address "" means every address, IPv6 and IPv4 (dual stack,
  /// falling back to IPv4 only where IPv6 is unavailable); otherwise the literal
  /// IPv4 or IPv6 address given; port 0 picks a free port. Throws ChallengeError
  /// naming address, port and reason ("cannot listen on [::]:80 for http-01: ...").
  Http01Responder(const std::string& address, std::uint16_t port);

  /// What `certsmith serve` adds: tokens not add()ed are looked up here (called
  /// on the server's thread with a base64url token), and other paths may be
  /// redirected to https (301; 400 when the Host header is not a sane host).
  struct Fallback {
    std::function<std::optional<std::string>(std::string_view token)> lookup;
    bool redirect_https = false;
  };
  Http01Responder(const std::string& address, std::uint16_t port, Fallback fallback);
  ~Http01Responder();
  Http01Responder(const Http01Responder&) = delete;
  Http01Responder& operator=(const Http01Responder&) = delete;

  /// Answer GET/HEAD for exactly this token (200, text/plain); anything else is
  /// 404, other methods 405. Callers check the token is base64url first.
  void add(const std::string& token, const std::string& key_authorization);
  /// Stop answering token (no-op when unknown).
  void remove(const std::string& token);
  /// The port actually bound (useful after port 0).
  std::uint16_t port() const;

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace certsmith::challenge
