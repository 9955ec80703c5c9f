#pragma once
// A ProcessRunner that runs nothing: it records every request (argv or shell
// command, environment, timeout) and answers from a script, so hook tests can
// assert order and environment. Thread-safe like the real one.

#include "util/process_runner.hpp"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::testing {

class FakeProcessRunner : public util::ProcessRunner {
public:
  using Handler = std::function<util::ProcessResult(const util::ProcessRequest&)>;

  /// Answer every request whose program (see program_of) equals program with result.
  void set_result(const std::string& program, util::ProcessResult result) {
    std::lock_guard lock(m_mutex);
    m_results[program] = std::move(result);
  }
  /// Answer requests not matched by set_result through handler (default: exit 0).
  void set_default(Handler handler) {
    std::lock_guard lock(m_mutex);
    m_default = std::move(handler);
  }

  util::ProcessResult run(const util::ProcessRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(request);
      if (auto it = m_results.find(program_of(request)); it != m_results.end())
        return it->second;
      handler = m_default;
    }
    if (handler)
      return handler(request);
    util::ProcessResult ok;
    ok.exit_code = 0;
    return ok;
  }

  /// The shell command, or argv[0] for a direct execution.
  static std::string program_of(const util::ProcessRequest& request) {
    return request.argv.empty() ? request.shell_command : request.argv.front();
  }

  std::vector<util::ProcessRequest> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  /// program_of every request, in order.
  std::vector<std::string> programs() const {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out;
    for (const auto& request : m_requests)
      out.push_back(program_of(request));
    return out;
  }
  /// The value request set for name in extra_env (the last one wins, as in the real runner).
  static std::optional<std::string> env_of(const util::ProcessRequest& request,
                                           const std::string& name) {
    std::optional<std::string> value;
    for (const auto& [key, val] : request.extra_env)
      if (key == name)
        value = val;
    return value;
  }

private:
  mutable std::mutex m_mutex;
  std::vector<util::ProcessRequest> m_requests;
  std::map<std::string, util::ProcessResult> m_results;
  Handler m_default;
};

} // namespace certsmith::testing
