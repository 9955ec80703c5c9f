#pragma once
// A Solver that records what it was asked to do, and can be told to fail.

#include "challenge/solver.hpp"
#include "util/error.hpp"

namespace certsmith::testing {

class RecordingSolver : public challenge::Solver {
public:
  explicit RecordingSolver(std::string type = "http-01") : m_type(std::move(type)) {}
  std::string type() const override { return m_type; }
  void perform(const std::vector<challenge::Task>& tasks) override {
    performed.insert(performed.end(), tasks.begin(), tasks.end());
    if (fail_perform)
      throw ChallengeError("cannot listen on port 80");
  }
  void cleanup(const std::vector<challenge::Task>& tasks) noexcept override {
    cleaned.insert(cleaned.end(), tasks.begin(), tasks.end());
  }

  std::vector<challenge::Task> performed;
  std::vector<challenge::Task> cleaned;
  bool fail_perform = false;

private:
  std::string m_type;
};

} // namespace certsmith::testing
