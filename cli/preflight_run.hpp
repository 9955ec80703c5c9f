#pragma once
// The automatic preflight before a first issuance (certonly without an
// existing lineage), skipped with --no-preflight.

#include "options.hpp"

namespace certsmith::cli {

/// When no renewal conf exists yet for the lineage certonly would write, run
/// preflight::run_automatic_preflight (DNS, CAA, email through --dns-resolvers
/// or the system's resolvers): warnings for what may fail, UsageError for what
/// the CA would refuse (CAA forbids it).
void preflight_before_first_issuance(const Options& options);

} // namespace certsmith::cli
