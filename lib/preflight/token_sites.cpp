#include "preflight/token_sites.hpp"

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

} // namespace certsmith::preflight
