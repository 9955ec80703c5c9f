#include "commands.hpp"
#include "util/error.hpp"

namespace certsmith::cli {

int run_reconfigure(const Options&) {
  throw UsageError("reconfigure is not implemented yet");
}

} // namespace certsmith::cli
