#pragma once
// http-01 answered by our own responder (certbot's --standalone).

#include "challenge/http01_responder.hpp"
#include "challenge/solver.hpp"

#include <memory>

namespace certsmith::challenge {

class Http01StandaloneSolver : public Solver {
public:
  /// The responder is shared: several solvers (lineages) may use one.
  explicit Http01StandaloneSolver(std::shared_ptr<Http01Responder> responder);
  std::string type() const override { return "http-01"; }
  void perform(const std::vector<Task>& tasks) override;
  void cleanup(const std::vector<Task>& tasks) noexcept override;

private:
  std::shared_ptr<Http01Responder> m_responder;
};

} // namespace certsmith::challenge
