#pragma once
// One function per subcommand: each turns Options into a lib call and prints
// the outcome. They return the process exit code; errors propagate as exceptions.

#include "options.hpp"

namespace certsmith::cli {

int run_certonly(const Options& options);
int run_certificates(const Options& options);
int run_renew(const Options& options);
int run_revoke(const Options& options);
int run_delete(const Options& options);
int run_register(const Options& options);
int run_update_account(const Options& options);
int run_show_account(const Options& options);
int run_unregister(const Options& options);
int run_rollover_account_key(const Options& options);
int run_reconfigure(const Options& options);
int run_certbot_flags(const Options& options);
int run_update_symlinks(const Options& options);
int run_doctor(const Options& options);
int run_serve(const Options& options);

} // namespace certsmith::cli
