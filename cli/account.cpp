#include "commands.hpp"
#include "util/error.hpp"

namespace certsmith::cli {

int run_register(const Options&) {
  throw UsageError("register is not implemented yet");
}
int run_update_account(const Options&) {
  throw UsageError("update_account is not implemented yet");
}
int run_show_account(const Options&) {
  throw UsageError("show_account is not implemented yet");
}
int run_unregister(const Options&) {
  throw UsageError("unregister is not implemented yet");
}
int run_rollover_account_key(const Options&) {
  throw UsageError("rollover-account-key is not implemented yet");
}

} // namespace certsmith::cli
