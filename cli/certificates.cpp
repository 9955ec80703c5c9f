#include "commands.hpp"
#include "issuance/certificates_report.hpp"

#include <cstdio>

namespace certsmith::cli {

int run_certificates(const Options& options) {
  store::TreePaths paths{options.config_dir, options.work_dir, options.logs_dir};
  std::string report = issuance::format_certificates_report(issuance::summarize_lineages(paths),
                                                            std::chrono::system_clock::now());
  std::fputs(report.c_str(), stdout);
  return 0;
}

} // namespace certsmith::cli
