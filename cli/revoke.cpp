#include "issuance/revoke.hpp"

#include "commands.hpp"
#include "issuance/delete_certificate.hpp"
#include "issuance/revoke_reason.hpp"
#include "prompt.hpp"
#include "store/lineage_delete.hpp"
#include "store/tree_lock.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <unistd.h>

namespace certsmith::cli {

namespace {

// certbot's question after a revocation; its default (taken with -n) is yes.
constexpr const char* k_delete_question =
    "Would you like to delete the certificate(s) you just revoked, along with all earlier and "
    "later versions of the certificate?";

} // namespace

int run_revoke(const Options& options) {
  if (options.delete_after_revoke && options.no_delete_after_revoke)
    throw UsageError("--delete-after-revoke and --no-delete-after-revoke contradict each other");
  issuance::RevokeRequest request;
  request.paths = {options.config_dir, options.work_dir, options.logs_dir};
  request.cert_name = options.cert_name;
  request.cert_path = options.cert_path;
  request.key_path = options.key_path;
  if (!options.server.empty() || options.staging)
    request.server = options.server_url();
  request.default_server = options.server_url();
  request.account_id = options.account;
  request.reason = issuance::parse_revocation_reason(options.reason);

  auto transport = make_transport(options);
  util::SystemClock clock;
  auto lock = store::TreeLock::acquire(request.paths);
  issuance::RevokeResult result = issuance::revoke(request, *transport, clock);
  util::log_info("Congratulations! You have successfully revoked the certificate that was "
                 "located at {}.",
                 util::escape_untrusted(result.target.cert_path.string(), 512));

  if (!result.target.lineage)
    return 0;
  bool remove = options.delete_after_revoke;
  if (!options.delete_after_revoke && !options.no_delete_after_revoke) {
    // The revocation is done: a question nobody can answer must not turn it into a failure.
    if (!options.non_interactive && !isatty(STDIN_FILENO)) {
      util::log_warning("Not deleting {}: there is no terminal to ask on (delete it with "
                        "'certsmith delete --cert-name {}', or pass --delete-after-revoke)",
                        *result.target.lineage, *result.target.lineage);
      return 0;
    }
    remove = confirm(options, k_delete_question, true,
                     "--delete-after-revoke or --no-delete-after-revoke");
  }
  if (!remove)
    return 0;
  try {
    issuance::delete_certificate(request.paths, *result.target.lineage);
  } catch (const store::SharedArchiveDir& shared) {
    // certbot's _delete_if_appropriate: the revocation stands, the files stay.
    util::log_warning("Not deleting revoked certificates due to overlapping archive dirs. More "
                      "than one certificate is using {}",
                      util::escape_untrusted(shared.archive_dir().string(), 512));
    return 0;
  }
  util::log_info("Deleted all files relating to certificate {}.", *result.target.lineage);
  return 0;
}

} // namespace certsmith::cli
