#include "preflight/token_sites.hpp"

#include "preflight/port_holder.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>

namespace certsmith::preflight {

WebrootTokenSite::WebrootTokenSite(std::map<std::string, std::filesystem::path> webroot_map)
    : m_webroot_map(webroot_map), m_solver(std::move(webroot_map)) {}

void WebrootTokenSite::place(const std::string& name, const std::string& token,
                             const std::string& content) {
  m_solver.perform({{name, "http-01", token, content}});
  m_contents[token] = content;
}

void WebrootTokenSite::remove(const std::string& name, const std::string& token) noexcept {
  const auto found = m_contents.find(token);
  if (found == m_contents.end()) {
    return;
  }
  m_solver.cleanup({{name, "http-01", token, found->second}});
  m_contents.erase(found);
}

std::string WebrootTokenSite::where(const std::string& name) const {
  const auto found = m_webroot_map.find(name);
  return found == m_webroot_map.end() ? std::string("the webroot")
                                      : fmt::format("the webroot {}", found->second.string());
}

StandaloneTokenSite::StandaloneTokenSite(const std::string& address, std::uint16_t port)
    : m_port(port), m_responder(address, port) {}

void StandaloneTokenSite::place(const std::string&, const std::string& token,
                                const std::string& content) {
  m_responder.add(token, content);
}

void StandaloneTokenSite::remove(const std::string&, const std::string& token) noexcept {
  m_responder.remove(token);
}

std::string StandaloneTokenSite::where(const std::string&) const {
  return fmt::format("certsmith's standalone responder on port {}", m_port);
}

std::unique_ptr<TokenSite> open_token_site(const TokenSiteSpec& spec,
                                           std::optional<Finding>& problem) {
  problem.reset();
  switch (spec.kind) {
  case TokenSiteSpec::Kind::none:
    return nullptr;
  case TokenSiteSpec::Kind::webroot:
    return std::make_unique<WebrootTokenSite>(spec.webroot_map);
  case TokenSiteSpec::Kind::standalone:
    break;
  }
  try {
    return std::make_unique<StandaloneTokenSite>(spec.address, spec.port);
  } catch (const ChallengeError& error) {
    const std::string holder = port_holder(spec.port);
    problem = Finding{
        "http-01",
        fmt::format("port {}", spec.port),
        Status::fail,
        holder.empty()
            ? util::escape_untrusted(error.what(), 300)
            : fmt::format("{}: {} holds it", util::escape_untrusted(error.what(), 300), holder),
        fmt::format("--standalone needs port {} free: stop {} while certsmith validates, or use "
                    "--webroot -w DIR with the web server that runs there",
                    spec.port, holder.empty() ? std::string("what listens there") : holder),
        false};
    return nullptr;
  }
}

} // namespace certsmith::preflight
