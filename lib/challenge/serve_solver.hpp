#pragma once
// http-01 for `--authenticator serve`: the key authorizations go into the
// token directory that a running `certsmith serve` answers from.

#include "challenge/solver.hpp"
#include "challenge/token_dir.hpp"

#include <vector>

namespace certsmith::challenge {

class Http01ServeSolver : public Solver {
public:
  explicit Http01ServeSolver(TokenDir token_dir) : m_token_dir(std::move(token_dir)) {}
  std::string type() const override { return "http-01"; }
  /// Checks every task (http-01, base64url token) before writing anything,
  /// creates the directory when missing (or refuses one another user may
  /// write to), then writes one file per token, and warns when no running
  /// `certsmith serve` keeps a heartbeat there.
  void perform(const std::vector<Task>& tasks) override;
  /// Removes the files perform wrote (only those). Never throws.
  void cleanup(const std::vector<Task>& tasks) noexcept override;

private:
  TokenDir m_token_dir;
  std::vector<std::string> m_written;
};

} // namespace certsmith::challenge
