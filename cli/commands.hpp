#pragma once
// One function per subcommand: each turns Options into a lib call and prints
// the outcome. They return the process exit code; errors propagate as exceptions.

#include "options.hpp"

namespace certsmith::cli {

int run_certonly(const Options& options);
int run_certificates(const Options& options);
int run_renew(const Options& options);

} // namespace certsmith::cli
