#include "hooks/hook_runner.hpp"

#include "hooks/hook_directory.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <exception>

namespace certsmith::hooks {

namespace {

std::string_view stage_dir(HookStage stage) {
  switch (stage) {
  case HookStage::pre:
    return "pre";
  case HookStage::deploy:
    return "deploy";
  default:
    return "post";
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty())
      joined += ' ';
    joined += name;
  }
  return joined;
}

// certbot 4.2+ drops whole names from the end until the value fits, so a hook
// never sees half a domain.
std::string join_capped(const std::vector<std::string>& names, std::size_t limit,
                        std::string_view variable) {
  std::string joined = join(names);
  if (joined.size() <= limit)
    return joined;
  util::log_warning("Limiting {} environment variable to {} characters", variable, limit);
  std::string capped;
  for (const auto& name : names) {
    std::size_t needed = capped.size() + (capped.empty() ? 0 : 1) + name.size();
    if (needed > limit)
      break;
    if (!capped.empty())
      capped += ' ';
    capped += name;
  }
  return capped;
}

void log_output(HookStage stage, const std::string& hook, const std::string& output) {
  std::string_view rest(output);
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    util::log_debug("{} '{}' output: {}", stage_name(stage), util::escape_untrusted(hook),
                    util::escape_untrusted(line));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
}

} // namespace

std::string_view stage_name(HookStage stage) {
  switch (stage) {
  case HookStage::pre:
    return "pre-hook";
  case HookStage::deploy:
    return "deploy-hook";
  default:
    return "post-hook";
  }
}

HookRunner::HookRunner(HookConfig config, util::ProcessRunner& runner)
    : m_config(std::move(config)), m_runner(runner) {}

std::vector<HookRunner::Hook> HookRunner::collect(HookStage stage, bool with_directory,
                                                  const std::vector<std::string>& config_commands,
                                                  const std::vector<std::string>& extra_commands) {
  std::vector<Hook> hooks;
  if (with_directory && m_config.use_directory_hooks && !m_config.renewal_hooks_dir.empty()) {
    auto dir = m_config.renewal_hooks_dir / stage_dir(stage);
    try {
      for (const auto& path : list_directory_hooks(dir))
        hooks.push_back({path.string(), true});
    } catch (const std::exception& e) {
      util::log_warning("{}", e.what());
      record_failure({stage, dir.string(), {}, e.what()});
    }
  }
  auto add_command = [&](const std::string& command) {
    if (command.empty())
      return;
    bool duplicate = std::any_of(hooks.begin(), hooks.end(), [&](const Hook& hook) {
      return hook.text == command || (hook.is_file && command_names_file(command, hook.text));
    });
    if (duplicate)
      util::log_debug("{} '{}' already scheduled, skipping", stage_name(stage),
                      util::escape_untrusted(command));
    else
      hooks.push_back({command, false});
  };
  for (const auto& command : config_commands)
    add_command(command);
  for (const auto& command : extra_commands)
    add_command(command);
  return hooks;
}

void HookRunner::run_hook(HookStage stage, const Hook& hook, const Environment& env,
                          const std::string& lineage_live_dir) {
  util::ProcessRequest request;
  if (hook.is_file)
    request.argv = {hook.text};
  else
    request.shell_command = hook.text;
  request.extra_env = env;
  request.timeout = m_config.timeout;

  util::log_debug("Running {} {}", stage_name(stage), util::escape_untrusted(hook.text));
  util::ProcessResult result;
  try {
    result = m_runner.run(request);
  } catch (const std::exception& e) { // a runner must not take the renewal down with it
    result.exit_code = 126;
    result.error = e.what();
  }
  log_output(stage, hook.text, result.output);
  if (result.succeeded())
    return;
  std::string reason = result.describe();
  util::log_warning("{} '{}' failed: {}", stage_name(stage), util::escape_untrusted(hook.text),
                    util::escape_untrusted(reason));
  record_failure({stage, hook.text, lineage_live_dir, std::move(reason)});
}

void HookRunner::record_failure(HookFailure failure) {
  std::lock_guard lock(m_state_mutex);
  m_failures.push_back(std::move(failure));
}

void HookRunner::run_pre_hooks(const std::vector<std::string>& lineage_pre_hooks) {
  note_attempt();
  std::lock_guard lock(m_run_mutex);
  // The directory and the command-line hooks belong to the first call only;
  // later calls bring at most a lineage's own pre_hook.
  bool first = !m_pre_hooks_started;
  m_pre_hooks_started = true;
  auto hooks = collect(HookStage::pre, first,
                       first ? m_config.pre_hooks : std::vector<std::string>{}, lineage_pre_hooks);
  for (const auto& hook : hooks) {
    bool already_run =
        std::any_of(m_pre_hooks_run.begin(), m_pre_hooks_run.end(), [&](const Hook& done) {
          return done.text == hook.text ||
                 (done.is_file && !hook.is_file && command_names_file(hook.text, done.text));
        });
    if (already_run) {
      util::log_debug("pre-hook '{}' already run, skipping", util::escape_untrusted(hook.text));
      continue;
    }
    m_pre_hooks_run.push_back(hook);
    run_hook(HookStage::pre, hook, {}, {});
  }
}

void HookRunner::note_attempt() {
  std::lock_guard lock(m_state_mutex);
  m_attempted = true;
}

bool HookRunner::attempted() const {
  std::lock_guard lock(m_state_mutex);
  return m_attempted;
}

void HookRunner::add_post_hook(const std::string& command) {
  std::lock_guard lock(m_state_mutex);
  if (!command.empty() &&
      std::find(m_added_post.begin(), m_added_post.end(), command) == m_added_post.end())
    m_added_post.push_back(command);
}

void HookRunner::run_deploy_hooks(const std::string& lineage_live_dir,
                                  const std::vector<std::string>& domains,
                                  const std::vector<std::string>& lineage_deploy_hooks) {
  std::lock_guard lock(m_run_mutex);
  auto hooks = collect(HookStage::deploy, true, m_config.deploy_hooks, lineage_deploy_hooks);
  if (m_config.dry_run && !m_config.run_deploy_hooks) {
    for (const auto& hook : hooks)
      util::log_info("Dry run: skipping deploy hook command: {}",
                     util::escape_untrusted(hook.text));
    return;
  }
  Environment env = {{"RENEWED_LINEAGE", lineage_live_dir}, {"RENEWED_DOMAINS", join(domains)}};
  for (const auto& hook : hooks)
    run_hook(HookStage::deploy, hook, env, lineage_live_dir);
}

void HookRunner::run_post_hooks(const std::vector<std::string>& renewed_domains,
                                const std::vector<std::string>& failed_domains) {
  std::lock_guard lock(m_run_mutex);
  if (m_post_hooks_done) {
    util::log_debug("post hooks already run");
    return;
  }
  m_post_hooks_done = true;
  std::vector<std::string> added;
  {
    std::lock_guard state_lock(m_state_mutex);
    if (!m_attempted) {
      util::log_debug("no renewal was attempted: post hooks not run");
      return;
    }
    added = m_added_post;
  }
  auto hooks = collect(HookStage::post, true, m_config.post_hooks, added);
  if (hooks.empty())
    return;
  Environment env = {
      {"RENEWED_DOMAINS", join_capped(renewed_domains, k_max_domains_env, "RENEWED_DOMAINS")},
      {"FAILED_DOMAINS", join_capped(failed_domains, k_max_domains_env, "FAILED_DOMAINS")}};
  for (const auto& hook : hooks)
    run_hook(HookStage::post, hook, env, {});
}

std::vector<HookFailure> HookRunner::failures() const {
  std::lock_guard lock(m_state_mutex);
  return m_failures;
}

} // namespace certsmith::hooks
