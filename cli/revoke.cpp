#include "commands.hpp"
#include "util/error.hpp"

namespace certsmith::cli {

int run_revoke(const Options&) {
  throw UsageError("revoke is not implemented yet");
}

} // namespace certsmith::cli
