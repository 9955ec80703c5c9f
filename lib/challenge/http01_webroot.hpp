#pragma once
// http-01 by writing <webroot>/.well-known/acme-challenge/<token> for a web
// server that already serves the site (certbot's --webroot).

#include <filesystem>
#include <map>
#include <string>

#include "challenge/solver.hpp"

namespace certsmith::challenge {

class Http01WebrootSolver : public Solver {
public:
  /// webroot_map: domain -> document root, as in certbot's [[webroot_map]].
  explicit Http01WebrootSolver(std::map<std::string, std::filesystem::path> webroot_map);
  std::string type() const override { return "http-01"; }
  /// Creates missing .well-known/acme-challenge dirs 0755, files 0644 holding
  /// the key authorization. Refuses a token that is not base64url and any
  /// identifier without a webroot, before writing anything.
  void perform(const std::vector<Task>& tasks) override;
  /// Removes the files and the directories perform created (if left empty).
  void cleanup(const std::vector<Task>& tasks) noexcept override;

private:
  std::map<std::string, std::filesystem::path> m_webroot_map;
  std::vector<std::filesystem::path> m_created_dirs;
};

} // namespace certsmith::challenge
