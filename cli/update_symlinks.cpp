#include "issuance/update_symlinks.hpp"

#include "commands.hpp"
#include "store/lineage_name.hpp"
#include "store/tree_lock.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <cstdio>

namespace certsmith::cli {

int run_update_symlinks(const Options& options) {
  store::TreePaths paths{options.config_dir, options.work_dir, options.logs_dir};
  if (options.cert_name)
    store::validate_cert_name(*options.cert_name); // before the lock creates any directory
  auto lock = store::TreeLock::acquire(paths);
  bool any_failed = false;
  for (const auto& update : issuance::update_symlinks(paths, options.cert_name)) {
    const std::string line =
        util::escape_untrusted(issuance::describe_symlink_update(update), 1200);
    if (update.failed) {
      any_failed = true;
      std::fprintf(stderr, "certsmith: error: %s\n", line.c_str());
    } else {
      util::log_info("{}", line);
    }
  }
  return any_failed ? static_cast<int>(ExitCode::failure) : 0;
}

} // namespace certsmith::cli
