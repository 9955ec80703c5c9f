#pragma once
// http-01 by writing <webroot>/.well-known/acme-challenge/<token> for a web
// server that already serves the site (certbot's --webroot).

#include "challenge/solver.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace certsmith::challenge {

class Http01WebrootSolver : public Solver {
public:
  /// webroot_map: domain -> document root, as in certbot's [[webroot_map]].
  explicit Http01WebrootSolver(std::map<std::string, std::filesystem::path> webroot_map);
  std::string type() const override { return "http-01"; }
  /// Creates missing .well-known/acme-challenge dirs 0755, files 0644 holding
  /// the key authorization (written to a temp name, then renamed; an existing
  /// symlink at the token's name is replaced, never followed). Refuses a token
  /// that is not base64url, any identifier without a webroot and a missing
  /// webroot, before writing anything. A symlinked .well-known or
  /// acme-challenge is followed only when the link belongs to us (or root).
  void perform(const std::vector<Task>& tasks) override;
  /// Removes the files perform wrote and the directories it created (if left empty).
  void cleanup(const std::vector<Task>& tasks) noexcept override;

private:
  std::map<std::string, std::filesystem::path> m_webroot_map;
  std::vector<std::filesystem::path> m_created_dirs;
  std::vector<std::filesystem::path> m_written_files;
};

} // namespace certsmith::challenge
