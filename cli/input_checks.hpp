#pragma once
// The user's names and addresses are checked before any command touches the
// network or the disk, so that a typo or a hostile value fails with one line
// and leaves nothing behind (not even a log file).

#include "options.hpp"

namespace certsmith::cli {

/// Check -d, --ip-address, -m and --cert-name with the library's validators.
/// Throws UsageError naming the first bad value.
void check_input(const Options& options);

} // namespace certsmith::cli
