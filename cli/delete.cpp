#include "commands.hpp"
#include "util/error.hpp"

namespace certsmith::cli {

int run_delete(const Options&) {
  throw UsageError("delete is not implemented yet");
}

} // namespace certsmith::cli
