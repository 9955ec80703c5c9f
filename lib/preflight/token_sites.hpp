#pragma once
// The two places doctor can put a test token: the webroot the web server
// serves (written as the webroot authenticator writes challenge files) or a
// standalone responder of its own on the http-01 port.

#include "challenge/http01_responder.hpp"
#include "challenge/http01_webroot.hpp"
#include "preflight/http_self_fetch.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

namespace certsmith::preflight {

class WebrootTokenSite : public TokenSite {
public:
  explicit WebrootTokenSite(std::map<std::string, std::filesystem::path> webroot_map);
  void place(const std::string& name, const std::string& token,
             const std::string& content) override;
  void remove(const std::string& name, const std::string& token) noexcept override;
  std::string where(const std::string& name) const override;

private:
  std::map<std::string, std::filesystem::path> m_webroot_map;
  challenge::Http01WebrootSolver m_solver;
  std::map<std::string, std::string> m_contents; // token -> content, for cleanup
};

class StandaloneTokenSite : public TokenSite {
public:
  /// Listens at once (throws ChallengeError when the port is taken).
  StandaloneTokenSite(const std::string& address, std::uint16_t port);
  void place(const std::string& name, const std::string& token,
             const std::string& content) override;
  void remove(const std::string& name, const std::string& token) noexcept override;
  std::string where(const std::string& name) const override;

private:
  std::uint16_t m_port;
  challenge::Http01Responder m_responder;
};

/// Which site a run asks for, as the flags give it.
struct TokenSiteSpec {
  enum class Kind { none, webroot, standalone };
  Kind kind = Kind::none;
  std::map<std::string, std::filesystem::path> webroot_map; // webroot
  std::string address;                                      // standalone
  std::uint16_t port = 80;                                  // standalone
};

/// The site, or nullptr for Kind::none and for a standalone port that cannot
/// be listened on: then `problem` is an http-01 finding (FAIL) saying why,
/// which process holds the port when it can be told, and what to do.
std::unique_ptr<TokenSite> open_token_site(const TokenSiteSpec& spec,
                                           std::optional<Finding>& problem);

} // namespace certsmith::preflight
