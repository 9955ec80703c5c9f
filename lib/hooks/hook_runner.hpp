#pragma once
// Pre, deploy and post hooks with certbot's semantics (certbot/_internal/hooks.py,
// certbot 4.2+ for FAILED_DOMAINS): command hooks run through /bin/sh -c,
// directory hooks (renewal-hooks/{pre,deploy,post}/) run directly; domains and
// paths reach a hook only through its environment. A failing hook is logged and
// recorded, never thrown: it does not fail a renewal.

#include "util/process_runner.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::hooks {

/// When a hook runs: before the first renewal, after each renewed lineage, at the end.
enum class HookStage { pre, deploy, post };

/// "pre-hook", "deploy-hook" or "post-hook", as certbot names them in its log.
std::string_view stage_name(HookStage stage);

/// The hooks of a run, as the command line and cli.ini set them.
struct HookConfig {
  /// Shell commands from the command line (--pre-hook, --deploy-hook,
  /// --post-hook) or cli.ini; per-lineage ones from renewal confs are passed to
  /// the calls below.
  std::vector<std::string> pre_hooks;
  std::vector<std::string> deploy_hooks;
  std::vector<std::string> post_hooks;
  /// config_dir/renewal-hooks (holds pre/, deploy/, post/); empty: none.
  std::filesystem::path renewal_hooks_dir;
  /// False for --no-directory-hooks.
  bool use_directory_hooks = true;
  /// --dry-run: deploy hooks are skipped (pre and post hooks still run, as in
  /// certbot) unless run_deploy_hooks (--run-deploy-hooks).
  bool dry_run = false;
  bool run_deploy_hooks = false;
  /// Per hook; then its process group is killed and the hook counts as failed.
  /// certbot has no limit; ten minutes bounds a stuck hook in a cron run.
  std::chrono::seconds timeout{600};
};

/// One hook that did not succeed (or a hook directory that could not be read).
struct HookFailure {
  HookStage stage;
  /// The command, or the directory hook's path (or the hook directory that
  /// could not be listed).
  std::string hook;
  /// RENEWED_LINEAGE for a deploy hook, empty otherwise.
  std::string lineage_live_dir;
  /// ProcessResult::describe(): "exit status 1", "timed out", "could not start: ...".
  std::string reason;
};

/// The hooks of one run (one `renew` or `certonly`). Thread-safe: renewal
/// workers share one; hooks themselves run one at a time, never concurrently,
/// because scripts written for certbot assume that.
class HookRunner {
public:
  /// Bytes of RENEWED_DOMAINS / FAILED_DOMAINS for post hooks: whole names are
  /// dropped from the end beyond this, as certbot 4.2+ does.
  static constexpr std::size_t k_max_domains_env = 16000;

  HookRunner(HookConfig config, util::ProcessRunner& runner);

  /// Call before every renewal attempt. The first call runs the pre hooks:
  /// renewal-hooks/pre/ (sorted), then config.pre_hooks, then
  /// lineage_pre_hooks (the renewal conf's pre_hook); later calls run only
  /// lineage pre hooks not run yet. Identical commands, and a command naming a
  /// directory hook, run once. Concurrent callers wait until the pre hooks are
  /// done. Marks the run as attempted.
  void run_pre_hooks(const std::vector<std::string>& lineage_pre_hooks = {});

  /// Marks the run as attempted without running pre hooks (post hooks will run).
  void note_attempt();
  /// True once run_pre_hooks() or note_attempt() was called.
  bool attempted() const;

  /// Registers a lineage's post hook (renewal conf post_hook) for
  /// run_post_hooks(); identical commands are kept once.
  void add_post_hook(const std::string& command);

  /// After a lineage was issued or renewed: renewal-hooks/deploy/ (sorted),
  /// config.deploy_hooks, then lineage_deploy_hooks (the renewal conf's
  /// renew_hook), each once, with RENEWED_LINEAGE=lineage_live_dir and
  /// RENEWED_DOMAINS=domains joined by spaces. Skipped in a dry run unless
  /// run_deploy_hooks.
  void run_deploy_hooks(const std::string& lineage_live_dir,
                        const std::vector<std::string>& domains,
                        const std::vector<std::string>& lineage_deploy_hooks = {});

  /// At the end of the run, once, and only if attempted(): renewal-hooks/post/
  /// (sorted), config.post_hooks, then add_post_hook() commands, each once,
  /// with RENEWED_DOMAINS and FAILED_DOMAINS (space-separated, each capped at
  /// k_max_domains_env). Later calls do nothing.
  void run_post_hooks(const std::vector<std::string>& renewed_domains,
                      const std::vector<std::string>& failed_domains);

  /// Every hook that failed so far, in the order they ran.
  std::vector<HookFailure> failures() const;

private:
  struct Hook {
    std::string text; // shell command, or path of a directory hook
    bool is_file;     // directory hook: run directly, not through the shell
  };
  using Environment = std::vector<std::pair<std::string, std::string>>;

  // The stage's hooks in run order, duplicates removed.
  std::vector<Hook> collect(HookStage stage, bool with_directory,
                            const std::vector<std::string>& config_commands,
                            const std::vector<std::string>& extra_commands);
  void run_hook(HookStage stage, const Hook& hook, const Environment& env,
                const std::string& lineage_live_dir);
  void record_failure(HookFailure failure);

  HookConfig m_config;
  util::ProcessRunner& m_runner;

  // Held while any hook runs: serializes hooks, and makes run_pre_hooks()
  // callers wait for the pre hooks to finish.
  std::mutex m_run_mutex;
  std::vector<Hook> m_pre_hooks_run; // guarded by m_run_mutex
  bool m_pre_hooks_started = false;  // guarded by m_run_mutex
  bool m_post_hooks_done = false;    // guarded by m_run_mutex

  mutable std::mutex m_state_mutex;
  bool m_attempted = false;              // guarded by m_state_mutex
  std::vector<std::string> m_added_post; // guarded by m_state_mutex
  std::vector<HookFailure> m_failures;   // guarded by m_state_mutex
};

} // namespace certsmith::hooks
