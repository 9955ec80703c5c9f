#include "issuance/solver_choice.hpp"

#include "challenge/dns01_rfc2136.hpp"
#include "challenge/http01_standalone.hpp"
#include "challenge/http01_webroot.hpp"
#include "challenge/manual.hpp"
#include "challenge/tls_alpn01.hpp"
#include "dns/dns_client.hpp"
#include "dns/propagation.hpp"
#include "issuance/serve_authenticator.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <map>

namespace certsmith::issuance {

namespace {

struct AuthenticatorChallenges {
  std::vector<std::string> answered; // every type it can answer
  std::vector<std::string> defaults; // tried, in this order, without --preferred-challenges
};

// certbot's get_chall_pref of each authenticator. tls-alpn-01 only on request:
// certbot's standalone no longer offers it, so a plain --standalone keeps
// port 443 free.
AuthenticatorChallenges challenges_of(const std::string& authenticator) {
  if (authenticator == "standalone")
    return {{"http-01", "tls-alpn-01"}, {"http-01"}};
  if (authenticator == "webroot")
    return {{"http-01"}, {"http-01"}};
  if (authenticator == "manual")
    return {{"http-01", "dns-01"}, {"http-01", "dns-01"}};
  if (authenticator == "dns-rfc2136")
    return {{"dns-01"}, {"dns-01"}};
  if (authenticator == "serve") // certsmith's: tokens for a running `certsmith serve`
    return {{"http-01"}, {"http-01"}};
  throw UsageError(fmt::format("authenticator '{}' is not supported: use standalone, webroot, "
                               "manual, dns-rfc2136 or serve",
                               util::escape_untrusted(authenticator, 60)));
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string strip_spaces(const std::string& text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// RFC 8555 §8.4 and RFC 8738 §7: wildcards are validated only over dns-01,
// IP addresses never over it.
void check_identifiers(const std::string& authenticator, const AuthenticatorChallenges& answered,
                       const std::vector<std::string>& types,
                       const std::vector<acme::Identifier>& identifiers) {
  for (const auto& identifier : identifiers) {
    if (identifier.value.starts_with("*.") && !contains(types, "dns-01"))
      throw UsageError(fmt::format(
          "{} is a wildcard name: a CA validates wildcards only over dns-01, {}", identifier.value,
          contains(answered.answered, "dns-01")
              ? "which --preferred-challenges leaves out"
              : fmt::format("which the {} authenticator does not answer (use --dns-rfc2136, or "
                            "--manual with --preferred-challenges dns)",
                            authenticator)));
    if (identifier.type == "ip" && !contains(types, "http-01") && !contains(types, "tls-alpn-01"))
      throw UsageError(fmt::format("{} is an IP address: a CA validates addresses over http-01 or "
                                   "tls-alpn-01, not dns-01 (RFC 8738)",
                                   identifier.value));
  }
}

// A port from the renewal conf, which anyone may have edited (0: any free
// port, which the unit tests use).
std::uint16_t port_of(const std::optional<int>& configured, int fallback, const char* option) {
  int port = configured.value_or(fallback);
  if (port < 0 || port > 65535)
    throw UsageError(fmt::format("{} must be a port up to 65535, not {}", option, port));
  return static_cast<std::uint16_t>(port);
}

std::unique_ptr<challenge::Solver> make_webroot_solver(const store::RenewalParams& params,
                                                       const std::vector<acme::Identifier>& ids) {
  std::map<std::string, std::filesystem::path> webroots;
  for (const auto& identifier : ids) {
    auto it = params.webroot_map.find(identifier.value);
    if (it != params.webroot_map.end())
      webroots.emplace(identifier.value, it->second);
    else if (!params.webroot_path.empty()) // certbot: the last -w serves unmapped names
      webroots.emplace(identifier.value, params.webroot_path.back());
    else
      throw UsageError(
          fmt::format("no webroot for {}: give -w /path before its -d", identifier.value));
  }
  return std::make_unique<challenge::Http01WebrootSolver>(std::move(webroots));
}

std::unique_ptr<challenge::Solver> make_rfc2136_solver(RunContext& context,
                                                       const store::RenewalParams& params) {
  if (params.dns_rfc2136_credentials.empty())
    throw UsageError("the dns-rfc2136 authenticator needs --dns-rfc2136-credentials FILE");
  challenge::Rfc2136Credentials credentials =
      challenge::read_rfc2136_credentials(params.dns_rfc2136_credentials);
  dns::PropagationOptions propagation;
  // The zone is asked of the update server first, as certbot-dns-rfc2136 does.
  propagation.zone_server = credentials.server;
  // --dns-resolvers: those servers, which must hold the zone (they are asked
  // without recursion), and only they, must serve the records (split horizon,
  // test set-ups); else the zone's authoritative servers, found from the
  // system's resolvers.
  for (const auto& resolver : params.dns_resolvers)
    propagation.resolvers.push_back(dns::parse_name_server(resolver));
  propagation.check_resolvers_only = !propagation.resolvers.empty();
  if (propagation.resolvers.empty())
    propagation.resolvers = dns::system_resolvers();
  if (auto seconds = params.dns_rfc2136_propagation_seconds) {
    if (*seconds < 0)
      throw UsageError(
          fmt::format("--dns-rfc2136-propagation-seconds must not be negative, not {}", *seconds));
    propagation.fixed_wait = std::chrono::seconds(*seconds);
  }
  return challenge::make_rfc2136_solver(std::move(credentials),
                                        dns::make_ldns_client(std::chrono::seconds(5)),
                                        context.clock(), std::move(propagation));
}

} // namespace

std::vector<std::string> normalize_challenge_types(const std::vector<std::string>& names) {
  static const std::map<std::string, std::string> k_types = {
      {"http", "http-01"},  {"http-01", "http-01"},      {"dns", "dns-01"},
      {"dns-01", "dns-01"}, {"tls-alpn", "tls-alpn-01"}, {"tls-alpn-01", "tls-alpn-01"}};
  std::vector<std::string> types;
  for (const auto& name : names) {
    std::string item = strip_spaces(name);
    if (item.empty())
      continue;
    auto known = k_types.find(item);
    if (known == k_types.end())
      throw UsageError(fmt::format("unrecognized challenge '{}' in --preferred-challenges: use "
                                   "http-01, dns-01 or tls-alpn-01 (or http, dns, tls-alpn)",
                                   util::escape_untrusted(item, 60)));
    if (!contains(types, known->second))
      types.push_back(known->second);
  }
  return types;
}

std::vector<std::string> challenge_types_for(const store::RenewalParams& params,
                                             const std::vector<acme::Identifier>& identifiers) {
  AuthenticatorChallenges answered = challenges_of(params.authenticator);
  std::vector<std::string> preferred = normalize_challenge_types(params.pref_challs);
  std::vector<std::string> types;
  if (preferred.empty())
    types = answered.defaults;
  for (const auto& type : preferred)
    if (contains(answered.answered, type))
      types.push_back(type);
  if (types.empty())
    throw UsageError(fmt::format("the {} authenticator answers {}: none of the preferred "
                                 "challenges ({})",
                                 params.authenticator, joined(answered.answered),
                                 joined(preferred)));
  check_identifiers(params.authenticator, answered, types, identifiers);
  return types;
}

std::vector<std::unique_ptr<challenge::Solver>>
make_solvers(RunContext& context, const store::RenewalParams& params,
             const std::vector<acme::Identifier>& identifiers,
             util::ProcessRunner& process_runner) {
  std::vector<std::unique_ptr<challenge::Solver>> solvers;
  for (const auto& type : challenge_types_for(params, identifiers)) {
    if (params.authenticator == "standalone" && type == "http-01")
      solvers.push_back(std::make_unique<challenge::Http01StandaloneSolver>(context.responder(
          params.http01_address, port_of(params.http01_port, 80, "--http-01-port"))));
    else if (params.authenticator == "standalone")
      solvers.push_back(challenge::make_tls_alpn01_solver(context.tls_alpn_responder(
          params.http01_address, port_of(params.tls_alpn01_port, 443, "--tls-alpn-01-port"))));
    else if (params.authenticator == "webroot")
      solvers.push_back(make_webroot_solver(params, identifiers));
    else if (params.authenticator == "serve")
      solvers.push_back(make_serve_solver(params, context.paths()));
    else if (params.authenticator == "manual")
      solvers.push_back(challenge::make_manual_solver(
          type, {params.manual_auth_hook, params.manual_cleanup_hook}, process_runner));
    else
      solvers.push_back(make_rfc2136_solver(context, params));
  }
  return solvers;
}

} // namespace certsmith::issuance
