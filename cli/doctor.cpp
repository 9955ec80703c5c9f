// certsmith doctor: flags -> preflight::run_doctor, findings printed one per
// line with their fix. Exit 0 when nothing failed (warnings pass).

#include "preflight/doctor.hpp"

#include "acme/identifier.hpp"
#include "commands.hpp"
#include "dns/dns_client.hpp"
#include "issuance/webroot_map.hpp"
#include "preflight/token_sites.hpp"
#include "preflight_run.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

namespace certsmith::cli {

namespace {

std::unique_ptr<preflight::TokenSite> token_site_of(const Options& options) {
  if (options.webroot && options.standalone)
    throw UsageError("doctor: choose --webroot or --standalone, not both");
  if (options.webroot || !options.webroot_paths.empty()) {
    std::map<std::string, std::filesystem::path> map;
    for (const auto& [domain, path] : issuance::build_webroot_map(options.domain_and_webroot_order))
      map.emplace(domain, path);
    return std::make_unique<preflight::WebrootTokenSite>(std::move(map));
  }
  if (options.standalone)
    return std::make_unique<preflight::StandaloneTokenSite>(
        options.http01_address, static_cast<std::uint16_t>(options.http01_port));
  return nullptr;
}

preflight::Resolver preflight_resolver(dns::DnsClient& client, const Options& options) {
  std::vector<dns::NameServer> servers;
  for (const auto& server : options.dns_resolvers)
    servers.push_back(dns::parse_name_server(server));
  if (servers.empty())
    servers = dns::system_resolvers();
  return preflight::Resolver(client, std::move(servers));
}

} // namespace

int run_doctor(const Options& options) {
  if (options.domains.empty())
    throw UsageError("doctor needs the names to check: -d NAME [-d NAME ...]");
  preflight::DoctorRequest request;
  for (const auto& domain : options.domains)
    request.domains.push_back(acme::normalize_domain(domain));
  request.email = options.email;
  request.directory_url = options.server_url();
  request.http01_port = static_cast<std::uint16_t>(options.http01_port);
  auto site = token_site_of(options);
  request.token_site = site.get();

  auto dns_client = dns::make_ldns_client(std::chrono::seconds(3));
  preflight::Resolver resolver = preflight_resolver(*dns_client, options);
  auto ca_transport = make_transport(options);
  http::TransportOptions probe_options; // the CA gives a validation a few seconds too
  probe_options.connect_timeout = std::chrono::seconds(5);
  probe_options.total_timeout = std::chrono::seconds(10);
  probe_options.max_body_bytes = 64 * 1024;
  auto probe_transport = http::make_curl_transport(probe_options);
  util::SystemClock clock;

  const auto findings =
      preflight::run_doctor(request, resolver, *ca_transport, *probe_transport, clock);
  for (const auto& finding : findings) {
    std::printf("%s %-7s %s: %s\n", preflight::status_word(finding.status), finding.check.c_str(),
                finding.subject.c_str(), finding.detail.c_str());
    if (!finding.fix.empty() && finding.status != preflight::Status::pass)
      std::printf("     fix: %s\n", finding.fix.c_str());
  }
  if (site == nullptr)
    std::printf("(http-01 not rehearsed: give --webroot -w DIR or --standalone)\n");
  const bool passed = preflight::all_passed(findings);
  std::printf("%s\n", passed ? "All checks passed." : "Some checks failed.");
  return passed ? 0 : static_cast<int>(ExitCode::failure);
}

void preflight_before_first_issuance(const Options& options) {
  if (options.no_preflight || !options.csr.empty() || options.domains.empty())
    return;
  const std::string first = acme::normalize_domain(options.domains.front());
  const std::string lineage = options.cert_name.value_or(first);
  const std::filesystem::path conf =
      std::filesystem::path(options.config_dir) / "renewal" / (lineage + ".conf");
  std::error_code ignored;
  if (std::filesystem::exists(conf, ignored))
    return; // not a first issuance
  preflight::DoctorRequest request;
  for (const auto& domain : options.domains)
    request.domains.push_back(acme::normalize_domain(domain));
  request.email = options.email;
  request.directory_url = options.server_url();
  auto dns_client = dns::make_ldns_client(std::chrono::seconds(3));
  preflight::Resolver resolver = preflight_resolver(*dns_client, options);
  auto ca_transport = make_transport(options);
  util::SystemClock clock;
  preflight::run_automatic_preflight(request, resolver, *ca_transport, clock);
}

} // namespace certsmith::cli
