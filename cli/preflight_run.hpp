#pragma once
// The automatic preflight before a first issuance (certonly without an
// existing lineage), skipped with --no-preflight.

#include "options.hpp"

namespace certsmith::cli {

/// Translate the flags into preflight::run_automatic_preflight when
/// preflight::is_first_issuance says certonly would create the lineage.
void preflight_before_first_issuance(const Options& options);

} // namespace certsmith::cli
