#include "preflight/doctor.hpp"

#include "acme/client.hpp"
#include "preflight/dns_checks.hpp"
#include "preflight/rate_limit_check.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>

namespace certsmith::preflight {

std::optional<std::vector<std::string>> caa_identities(http::Transport& transport,
                                                       util::Clock& clock,
                                                       const std::string& directory_url,
                                                       std::string& why_not) {
  try {
    acme::Client client(transport, clock, directory_url);
    return client.directory().caa_identities;
  } catch (const Error& error) {
    why_not = error.what();
    return std::nullopt;
  }
}

std::vector<Finding> collect_findings(const DoctorRequest& request, Resolver& resolver,
                                      http::Transport& ca_transport,
                                      http::Transport* probe_transport, util::Clock& clock) {
  std::vector<Finding> findings;
  if (request.site_problem) {
    findings.push_back(*request.site_problem);
  }
  TokenSite* site = probe_transport != nullptr ? request.token_site : nullptr;
  if (!request.domains.empty()) {
    std::string why_not;
    const auto identities = caa_identities(ca_transport, clock, request.directory_url, why_not);
    if (!identities) {
      findings.push_back(
          {"caa", request.directory_url, Status::warn,
           fmt::format("cannot read the CA's directory: {}", util::escape_untrusted(why_not, 200)),
           "check --server and the network", false});
    }
    for (const auto& name : request.domains) {
      std::vector<std::string> addresses;
      findings.push_back(check_addresses(resolver, name, addresses));
      findings.push_back(check_caa(resolver, name, identities));
      if (site == nullptr || addresses.empty()) {
        continue;
      }
      if (name.starts_with("*.")) {
        findings.push_back({"http-01", name, Status::fail,
                            "a wildcard name cannot be validated over http-01",
                            "use dns-01 (--dns-rfc2136 or --manual) for wildcards", false});
        continue;
      }
      for (auto& finding :
           check_self_fetch({name, addresses, request.http01_port}, *site, *probe_transport)) {
        findings.push_back(std::move(finding));
      }
    }
  }
  // An IP identifier (RFC 8738) has no DNS and no CAA: the CA connects to the address itself.
  for (const auto& address : request.ip_addresses) {
    if (site == nullptr) {
      continue;
    }
    for (auto& finding :
         check_self_fetch({address, {address}, request.http01_port}, *site, *probe_transport)) {
      findings.push_back(std::move(finding));
    }
  }
  if (!request.work_dir.empty()) {
    std::vector<std::string> names = request.domains;
    names.insert(names.end(), request.ip_addresses.begin(), request.ip_addresses.end());
    findings.push_back(check_rate_limits(request.work_dir, request.directory_url,
                                         request.rate_policy, names, clock.now(),
                                         request.config_dir));
  }
  if (!request.email.empty()) {
    findings.push_back(check_email(resolver, request.email));
  }
  return findings;
}

std::vector<Finding> run_doctor(const DoctorRequest& request, Resolver& resolver,
                                http::Transport& ca_transport, http::Transport& probe_transport,
                                util::Clock& clock) {
  return collect_findings(request, resolver, ca_transport, &probe_transport, clock);
}

} // namespace certsmith::preflight
