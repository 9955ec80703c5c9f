#include "commands.hpp"
#include "issuance/delete_certificate.hpp"
#include "prompt.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage_delete.hpp"
#include "store/lineage_name.hpp"
#include "store/tree_lock.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::cli {

int run_delete(const Options& options) {
  if (!options.cert_name)
    throw UsageError("delete needs the certificate to delete: --cert-name NAME "
                     "(certsmith certificates lists them)");
  const std::string& name = *options.cert_name;
  store::TreePaths paths{options.config_dir, options.work_dir, options.logs_dir};
  store::validate_cert_name(name); // before the lock creates any directory
  auto lock = store::TreeLock::acquire(paths);
  store::require_lineage_conf(paths, name);
  // certbot's question; -n answers yes, as certbot's default does.
  std::string question = fmt::format(
      "The following certificate(s) are selected for deletion:\n\n  * {}\n\n"
      "WARNING: Before continuing, ensure that the listed certificates are not being used by any "
      "installed server software (e.g. Apache, nginx, mail servers). Deleting a certificate that "
      "is still being used will cause the server software to stop working.\n\n"
      "Are you sure you want to delete the above certificate(s)?",
      name);
  if (!confirm(options, question, true, "")) {
    util::log_info("Deletion of certificate(s) canceled.");
    return 0;
  }
  if (options.purge) {
    issuance::delete_certificate(paths, name, issuance::DeleteMode::purge);
    util::log_info("Deleted all files relating to certificate {}.", name);
    return 0;
  }
  if (!issuance::delete_certificate(paths, name, issuance::DeleteMode::keep)) {
    util::log_info("Deleted all files relating to certificate {}.", name);
    return 0;
  }
  util::log_info("Deleted certificate {}; its current certificate and key are kept in {} for a "
                 "later certonly of the same names (delete --purge keeps nothing).",
                 name, store::kept_dir(paths).string());
  return 0;
}

} // namespace certsmith::cli
