// certsmith doctor: flags -> preflight::run_doctor, findings printed one per
// line with their fix. Exit 0 when nothing failed (warnings pass). Also the
// flags -> preflight::run_automatic_preflight translation for certonly.

#include "preflight/doctor.hpp"

#include "acme/identifier.hpp"
#include "commands.hpp"
#include "dns/dns_client.hpp"
#include "issuance/webroot_map.hpp"
#include "preflight/auto_preflight.hpp"
#include "preflight/http_self_fetch.hpp"
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

preflight::TokenSiteSpec token_site_spec(const Options& options) {
  if (options.webroot && options.standalone)
    throw UsageError("doctor: choose --webroot or --standalone, not both");
  preflight::TokenSiteSpec spec;
  if (options.webroot || options.authenticator == "webroot" || !options.webroot_paths.empty()) {
    spec.kind = preflight::TokenSiteSpec::Kind::webroot;
    for (const auto& [domain, path] : issuance::build_webroot_map(options.domain_and_webroot_order))
      spec.webroot_map.emplace(domain, path);
  } else if (options.standalone || options.authenticator == "standalone") {
    spec.kind = preflight::TokenSiteSpec::Kind::standalone;
    spec.address = options.http01_address;
    spec.port = static_cast<std::uint16_t>(options.http01_port);
  }
  return spec;
}

preflight::Resolver preflight_resolver(dns::DnsClient& client, const Options& options) {
  std::vector<dns::NameServer> servers;
  for (const auto& server : options.dns_resolvers)
    servers.push_back(dns::parse_name_server(server));
  if (servers.empty())
    servers = dns::system_resolvers();
  return preflight::Resolver(client, std::move(servers));
}

preflight::DoctorRequest doctor_request(const Options& options) {
  preflight::DoctorRequest request;
  for (const auto& domain : options.domains)
    request.domains.push_back(acme::normalize_domain(domain));
  request.ip_addresses = options.ip_addresses;
  request.email = options.email;
  request.directory_url = options.server_url();
  request.http01_port = static_cast<std::uint16_t>(options.http01_port);
  return request;
}

} // namespace

int run_doctor(const Options& options) {
  if (options.domains.empty() && options.ip_addresses.empty())
    throw UsageError("doctor needs the names to check: -d NAME [-d NAME ...] or --ip-address IP");
  preflight::DoctorRequest request = doctor_request(options);
  request.work_dir = options.work_dir;
  request.config_dir = options.config_dir;
  request.rate_policy = {options.rate_limit_per_domain, options.rate_limit_duplicates,
                         options.strict_rate_limits};
  const auto spec = token_site_spec(options);
  auto site = preflight::open_token_site(spec, request.site_problem);
  request.token_site = site.get();

  auto dns_client = dns::make_ldns_client(std::chrono::seconds(3));
  preflight::Resolver resolver = preflight_resolver(*dns_client, options);
  auto ca_transport = make_transport(options);
  auto probe = preflight::make_probe_transport();
  util::SystemClock clock;

  const auto findings = preflight::run_doctor(request, resolver, *ca_transport, *probe, clock);
  for (const auto& finding : findings) {
    std::printf("%s %-7s %s: %s\n", preflight::status_word(finding.status), finding.check.c_str(),
                finding.subject.c_str(), finding.detail.c_str());
    if (!finding.fix.empty() && finding.status != preflight::Status::pass)
      std::printf("     fix: %s\n", finding.fix.c_str());
  }
  if (spec.kind == preflight::TokenSiteSpec::Kind::none)
    std::printf("(http-01 not rehearsed: give --webroot -w DIR or --standalone)\n");
  const bool passed = preflight::all_passed(findings);
  std::printf("%s\n", passed ? "All checks passed." : "Some checks failed.");
  return passed ? 0 : static_cast<int>(ExitCode::failure);
}

void preflight_before_first_issuance(const Options& options) {
  if (options.no_preflight || !options.csr.empty() || options.domains.empty())
    return;
  const std::string lineage =
      options.cert_name.value_or(acme::normalize_domain(options.domains.front()));
  if (!preflight::is_first_issuance(options.config_dir, lineage))
    return;
  preflight::DoctorRequest request = doctor_request(options);
  request.ip_addresses.clear(); // IP identifiers: nothing to check before the CA's own try
  // The http-01 rehearsal only where certsmith serves the token itself, and
  // the standalone port is let go again before the real run listens on it.
  std::unique_ptr<preflight::TokenSite> site;
  site = preflight::open_token_site(token_site_spec(options), request.site_problem);
  request.token_site = site.get();
  auto dns_client = dns::make_ldns_client(std::chrono::seconds(3));
  preflight::Resolver resolver = preflight_resolver(*dns_client, options);
  auto ca_transport = make_transport(options);
  auto probe = preflight::make_probe_transport();
  util::SystemClock clock;
  preflight::run_automatic_preflight(request, resolver, *ca_transport, probe.get(), clock);
}

} // namespace certsmith::cli
