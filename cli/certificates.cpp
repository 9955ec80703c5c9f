#include "commands.hpp"
#include "issuance/certificates_json.hpp"
#include "issuance/certificates_report.hpp"

#include <cstdio>

namespace certsmith::cli {

int run_certificates(const Options& options) {
  store::TreePaths paths{options.config_dir, options.work_dir, options.logs_dir};
  auto filter = issuance::CertificateFilter::from_flags(options.cert_name, options.domains,
                                                        options.ip_addresses);
  auto lineages = issuance::filter_lineages(issuance::summarize_lineages(paths), filter);
  auto now = std::chrono::system_clock::now();
  std::string out = options.json
                        ? issuance::certificates_json(lineages, now)
                                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                              "\n"
                        : issuance::format_certificates_report(lineages, now, filter.active());
  std::fputs(out.c_str(), stdout);
  return 0;
}

} // namespace certsmith::cli
