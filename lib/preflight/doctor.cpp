#include "preflight/doctor.hpp"

#include "acme/client.hpp"
#include "preflight/dns_checks.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

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

namespace {

std::vector<Finding> dns_findings(const DoctorRequest& request, Resolver& resolver,
                                  http::Transport& ca_transport, util::Clock& clock,
                                  TokenSite* site, http::Transport* probe_transport) {
  std::vector<Finding> findings;
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
    if (site != nullptr && probe_transport != nullptr && !addresses.empty()) {
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
  if (!request.email.empty()) {
    findings.push_back(check_email(resolver, request.email));
  }
  return findings;
}

} // namespace

std::vector<Finding> run_doctor(const DoctorRequest& request, Resolver& resolver,
                                http::Transport& ca_transport, http::Transport& probe_transport,
                                util::Clock& clock) {
  return dns_findings(request, resolver, ca_transport, clock, request.token_site, &probe_transport);
}

void run_automatic_preflight(const DoctorRequest& request, Resolver& resolver,
                             http::Transport& ca_transport, util::Clock& clock) {
  std::vector<std::string> blockers;
  for (const auto& finding :
       dns_findings(request, resolver, ca_transport, clock, nullptr, nullptr)) {
    // Only a blocker stops the run. Everything else goes to the log file, not
    // the terminal: the real run reports its own failure in one line, and a
    // name this host cannot resolve may still resolve for the CA (split DNS).
    if (finding.blocker) {
      blockers.push_back(fmt::format("{}: {}{}", finding.subject, finding.detail,
                                     finding.fix.empty() ? "" : "; " + finding.fix));
      continue;
    }
    util::log_debug("preflight: {} {} {}: {}{}", status_word(finding.status), finding.check,
                    finding.subject, finding.detail,
                    finding.fix.empty() ? "" : fmt::format(" ({})", finding.fix));
  }
  if (!blockers.empty()) {
    std::string message = "preflight: the CA would refuse this request";
    for (const auto& blocker : blockers) {
      message += "\n" + blocker;
    }
    message += "\n(--no-preflight skips these checks)";
    throw UsageError(message);
  }
}

} // namespace certsmith::preflight
