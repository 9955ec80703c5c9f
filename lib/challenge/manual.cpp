#include "challenge/manual.hpp"

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <map>
#include <utility>

namespace certsmith::challenge {

namespace {

using Environment = std::vector<std::pair<std::string, std::string>>;

// What the record or file must hold: http-01 serves the key authorization
// itself, dns-01 publishes its SHA-256 in base64url (RFC 8555 §8.3, §8.4).
std::string validation_of(const Task& task) {
  if (task.type == "dns-01")
    return crypto::base64url_encode(crypto::sha256(task.key_authorization));
  return task.key_authorization;
}

// certbot keeps the hook's output with surrounding whitespace stripped.
std::string stripped(const std::string& text) {
  const char* space = " \t\r\n\f\v";
  auto first = text.find_first_not_of(space);
  if (first == std::string::npos)
    return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// The last line a failing hook printed, usually its reason.
std::string last_line_of(const std::string& output) {
  std::string text = stripped(output);
  auto newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

void log_stream(const char* hook_name, const std::string& domain, const char* stream,
                const std::string& text) {
  std::string_view rest(text);
  while (!rest.empty()) {
    auto end = rest.find('\n');
    util::log_debug("{} for {} {}: {}", hook_name, domain, stream,
                    util::escape_untrusted(rest.substr(0, end)));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
}

void log_output(const char* hook_name, const std::string& domain,
                const util::ProcessResult& result) {
  log_stream(hook_name, domain, "stdout", result.stdout_text);
  log_stream(hook_name, domain, "stderr", result.stderr_text);
}

// Why a hook failed: the last line of its stderr, else of its stdout.
std::string failure_reason(const util::ProcessResult& result) {
  std::string reason = last_line_of(result.stderr_text);
  return reason.empty() ? last_line_of(result.stdout_text) : reason;
}

class ManualSolver : public Solver {
public:
  ManualSolver(std::string type, ManualHooks hooks, util::ProcessRunner& runner)
      : m_type(std::move(type)), m_hooks(std::move(hooks)), m_runner(runner) {}

  std::string type() const override { return m_type; }

  void perform(const std::vector<Task>& tasks) override {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const Task& task = tasks[i];
      Environment env = environment_of(tasks, i);
      util::log_info("Running --manual-auth-hook for {} ({})", task.identifier, task.type);
      util::ProcessResult result = run(m_hooks.auth_hook, env);
      log_output("--manual-auth-hook", task.identifier, result);
      // Recorded before the verdict: a hook that failed half way may have
      // left something behind, so its cleanup runs too. As certbot: stdout
      // only, so a warning on stderr never corrupts what cleanup receives.
      m_auth_outputs[key_of(task)] = stripped(result.stdout_text);
      if (!result.succeeded()) {
        std::string reason = failure_reason(result);
        throw ChallengeError(fmt::format(
            "{}: --manual-auth-hook failed: {}{}", task.identifier, result.describe(),
            reason.empty() ? "" : fmt::format(" ({})", util::escape_untrusted(reason, 200))));
      }
    }
  }

  void cleanup(const std::vector<Task>& tasks) noexcept override {
    try {
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        auto performed = m_auth_outputs.find(key_of(tasks[i]));
        if (performed == m_auth_outputs.end())
          continue; // its auth hook never ran: nothing to undo
        if (!m_hooks.cleanup_hook.empty())
          run_cleanup(tasks, i, performed->second);
        m_auth_outputs.erase(performed);
      }
    } catch (const std::exception& error) {
      util::log_warning("--manual-cleanup-hook: {}", util::escape_untrusted(error.what()));
    }
  }

private:
  // certbot's environment for task i of this batch; values never reach the
  // command line.
  Environment environment_of(const std::vector<Task>& tasks, std::size_t i) const {
    std::string all_domains;
    for (const auto& task : tasks)
      all_domains += (all_domains.empty() ? "" : ",") + task.identifier;
    Environment env{{"CERTBOT_DOMAIN", tasks[i].identifier},
                    {"CERTBOT_VALIDATION", validation_of(tasks[i])},
                    {"CERTBOT_REMAINING_CHALLENGES", std::to_string(tasks.size() - i - 1)},
                    {"CERTBOT_ALL_DOMAINS", all_domains}};
    if (m_type == "http-01")
      env.emplace_back("CERTBOT_TOKEN", tasks[i].token);
    return env;
  }

  void run_cleanup(const std::vector<Task>& tasks, std::size_t i, const std::string& auth_output) {
    Environment env = environment_of(tasks, i);
    env.emplace_back("CERTBOT_AUTH_OUTPUT", auth_output);
    util::log_info("Running --manual-cleanup-hook for {}", tasks[i].identifier);
    util::ProcessResult result = run(m_hooks.cleanup_hook, env);
    log_output("--manual-cleanup-hook", tasks[i].identifier, result);
    if (!result.succeeded())
      util::log_warning("--manual-cleanup-hook for {} failed: {}", tasks[i].identifier,
                        result.describe());
  }

  util::ProcessResult run(const std::string& command, Environment env) {
    util::ProcessRequest request;
    request.shell_command = command; // as certbot: the hook text is a shell command
    request.extra_env = std::move(env);
    // certbot removes a CERTBOT_TOKEN of its own environment before a dns-01
    // hook: one left there by whatever started certsmith must not look like ours.
    if (m_type != "http-01")
      request.unset_env.push_back("CERTBOT_TOKEN");
    try {
      return m_runner.run(request);
    } catch (const std::exception& error) { // a runner failing is a failed hook, not a crash
      util::ProcessResult result;
      result.exit_code = 126;
      result.error = error.what();
      return result;
    }
  }

  static std::string key_of(const Task& task) { return task.identifier + "\n" + task.token; }

  std::string m_type;
  ManualHooks m_hooks;
  util::ProcessRunner& m_runner;
  std::map<std::string, std::string> m_auth_outputs; // task -> its auth hook's output
};

} // namespace

std::unique_ptr<Solver> make_manual_solver(const std::string& type, ManualHooks hooks,
                                           util::ProcessRunner& runner) {
  if (type != "http-01" && type != "dns-01")
    throw UsageError(fmt::format("the manual authenticator answers http-01 and dns-01, not {}",
                                 util::escape_untrusted(type, 40)));
  if (hooks.auth_hook.empty())
    throw UsageError("the manual authenticator needs --manual-auth-hook: certsmith does not ask "
                     "at the terminal");
  return std::make_unique<ManualSolver>(type, std::move(hooks), runner);
}

} // namespace certsmith::challenge
