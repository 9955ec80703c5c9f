#include "preflight/http_self_fetch.hpp"

#include "acme/url.hpp"
#include "crypto/base64url.hpp"
#include "http/transport_error.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <random>
#include <set>

namespace certsmith::preflight {

namespace {

constexpr int k_max_redirects = 10; // Let's Encrypt follows at most 10
constexpr std::size_t k_max_addresses_per_family = 4;

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 200);
}

std::string address_in_url(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

// The Host header and URL authority: an IPv6 identifier (RFC 8738) in brackets.
std::string host_port(const std::string& host, std::uint16_t port) {
  return port == 80 ? address_in_url(host) : fmt::format("{}:{}", address_in_url(host), port);
}

// The path and query of an absolute URL ("/" when it has none).
std::string path_of(const std::string& url) {
  const auto authority = url.find("//");
  const auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 2);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string trailing_space_trimmed(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

// What one address's fetch came to. Only a failed connection lets the CA
// fall back to the other address family; any answer it gets is judged.
enum class Outcome { served, connection_failed, answer_failed };

struct AddressResult {
  Finding finding;
  Outcome outcome = Outcome::served;
};

// Tell apart what the admin fixes differently (a closed port, a firewall
// that drops, a page that is too big, TLS), by the transport's failure kind.
// Returns whether the connection itself failed.
Outcome describe_fetch_failure(Finding& finding, const NetworkError& error, const std::string& url,
                               const std::string& address, std::uint16_t port) {
  const std::string message = shown(error.what());
  finding.status = Status::fail;
  switch (http::failure_kind(error)) {
  case http::FailureKind::body_too_large:
    finding.detail = fmt::format("{} answered with a body over the 64 KiB doctor reads: {}",
                                 shown(url), message);
    finding.fix = "the token URL must serve only the token: check that no catch-all page or "
                  "rewrite answers /.well-known/acme-challenge/";
    return Outcome::answer_failed;
  case http::FailureKind::headers_too_large:
    finding.detail = fmt::format("{} answered with oversized headers: {}", shown(url), message);
    finding.fix = "check the web server or proxy in front of it";
    return Outcome::answer_failed;
  case http::FailureKind::tls:
    finding.detail = fmt::format("TLS error fetching {}: {}", shown(url), message);
    finding.fix = "serve /.well-known/acme-challenge/ over plain http on port 80 without a "
                  "redirect to https";
    return Outcome::answer_failed;
  case http::FailureKind::timeout:
    finding.detail = fmt::format("connection to {} port {} timed out: {}", address, port, message);
    finding.fix = fmt::format("a firewall probably drops port {} at {}: open it for "
                              "everyone (the CA validates from several places)",
                              port, address);
    return Outcome::connection_failed;
  case http::FailureKind::connect:
    finding.detail = fmt::format("connection to {} port {} failed: {}", address, port, message);
    finding.fix = fmt::format("make a web server listen on port {} at {} and let it through any "
                              "firewall (the CA connects to port 80)",
                              port, address);
    return Outcome::connection_failed;
  case http::FailureKind::other:
    break;
  }
  finding.detail = fmt::format("fetching {} from {} failed: {}", shown(url), address, message);
  finding.fix = fmt::format("check the web server on port {} at {}", port, address);
  return Outcome::answer_failed;
}

// The server answered: judged on what it said, whatever the status.
AddressResult answered(AddressResult result) {
  result.outcome = result.finding.status == Status::pass ? Outcome::served : Outcome::answer_failed;
  return result;
}

AddressResult fetch_at(const SelfFetch& target, const std::string& address,
                       const std::string& token, const std::string& content, const TokenSite& site,
                       http::Transport& transport) {
  AddressResult result;
  Finding& finding = result.finding;
  finding = Finding{"http-01", fmt::format("{} via {}", target.name, address), Status::pass, "", "",
                    false};
  const std::string name_url = fmt::format("http://{}/.well-known/acme-challenge/{}",
                                           host_port(target.name, target.port), token);
  const std::string origin = acme::origin_of(name_url);
  std::string url = name_url;
  std::set<std::string> seen;
  for (int hop = 0;; ++hop) {
    http::Request request;
    request.url = fmt::format("http://{}:{}{}", address_in_url(address), target.port, path_of(url));
    request.headers = {{"Host", host_port(target.name, target.port)}};
    http::Response response;
    try {
      response = transport.perform(request);
    } catch (const NetworkError& error) {
      result.outcome = describe_fetch_failure(finding, error, url, address, target.port);
      return result;
    }
    seen.insert(url);
    if (response.status >= 300 && response.status < 400 && response.header("location")) {
      const std::string next = acme::resolve_url_reference(*response.header("location"), url);
      if (seen.contains(next)) {
        finding.status = Status::fail;
        finding.detail =
            fmt::format("redirect loop: {} redirects back to {}", shown(url), shown(next));
        finding.fix = "fix the web server's redirects for /.well-known/acme-challenge/";
        return answered(std::move(result));
      }
      if (hop >= k_max_redirects) { // hop redirects were followed already
        finding.status = Status::fail;
        finding.detail = fmt::format("more than {} redirects (the CA's limit), the last from {} "
                                     "to {}; no loop was seen",
                                     k_max_redirects, shown(url), shown(next));
        finding.fix = "redirect /.well-known/acme-challenge/ at most once or twice, or serve it "
                      "directly";
        return answered(std::move(result));
      }
      if (acme::origin_of(next) == origin) {
        url = next;
        continue;
      }
      const bool https_same_host =
          acme::origin_of(next) == acme::origin_of("https://" + address_in_url(target.name) + "/");
      finding.status = https_same_host ? Status::warn : Status::fail;
      finding.detail = fmt::format("{} redirects to {}", shown(url), shown(next));
      finding.fix =
          https_same_host
              ? "the CA follows a redirect to https (without checking the certificate); doctor "
                "does not: serve /.well-known/acme-challenge/ over plain http to be sure"
              : fmt::format("the token was placed in {} but the request is sent elsewhere: "
                            "serve /.well-known/acme-challenge/ for {} from there",
                            site.where(target.name), target.name);
      return answered(std::move(result));
    }
    if (response.status != 200) {
      finding.status = Status::fail;
      finding.detail = fmt::format("{} answered HTTP status {}", shown(url), response.status);
      finding.fix = fmt::format("make the web server for {} serve /.well-known/acme-challenge/ "
                                "from {} without authentication or rewriting",
                                target.name, site.where(target.name));
      return answered(std::move(result));
    }
    if (trailing_space_trimmed(response.body) != content) {
      finding.status = Status::fail;
      finding.detail = fmt::format("{} answered with the wrong content (\"{}\")", shown(url),
                                   util::escape_untrusted(response.body, 60));
      finding.fix = fmt::format("{} reaches another server or site: check its DNS records and "
                                "that its virtual host uses {}",
                                target.name, site.where(target.name));
      return answered(std::move(result));
    }
    finding.detail = fmt::format("http://{}/.well-known/acme-challenge/ serves the token",
                                 host_port(target.name, target.port));
    return answered(std::move(result));
  }
}

bool is_ipv6(const std::string& address) {
  return address.find(':') != std::string::npos;
}

// Let's Encrypt tries IPv6 first and falls back to IPv4 only when the IPv6
// connection fails (refused, timed out, unreachable): with an IPv4 address
// that passes, such a failure is worth fixing but does not stop validation.
// An IPv6 server that answers wrongly (wrong content, 404, a redirect
// elsewhere) fails validation, so that stays a failure.
void downgrade_ipv6_when_ipv4_passes(std::vector<Finding>& findings, const std::vector<bool>& is_v6,
                                     const std::vector<Outcome>& outcomes) {
  bool ipv4_passed = false;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    ipv4_passed = ipv4_passed || (!is_v6[i] && findings[i].status == Status::pass);
  }
  if (!ipv4_passed)
    return;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (is_v6[i] && outcomes[i] == Outcome::connection_failed &&
        findings[i].status == Status::fail) {
      findings[i].status = Status::warn;
      findings[i].fix += "; the CA falls back to IPv4, which passed, so validation should still "
                         "succeed";
    }
  }
}

} // namespace

std::string random_token() {
  // Not a secret, only unguessable enough not to collide: the kernel's
  // random_device (getrandom) keeps OpenSSL inside crypto/.
  std::random_device device;
  std::string bytes;
  while (bytes.size() < 32) {
    const unsigned int value = device();
    for (int shift = 0; shift < 32 && bytes.size() < 32; shift += 8) {
      bytes.push_back(static_cast<char>((value >> shift) & 0xff));
    }
  }
  return crypto::base64url_encode(bytes);
}

std::vector<Finding> check_self_fetch(const SelfFetch& target, TokenSite& site,
                                      http::Transport& transport) {
  const std::string token = random_token();
  const std::string content = token + ".certsmith-doctor";
  try {
    site.place(target.name, token, content);
  } catch (const Error& error) {
    return {Finding{"http-01", target.name, Status::fail,
                    fmt::format("cannot place a test token: {}", shown(error.what())),
                    fmt::format("check {} is writable and exists", site.where(target.name)),
                    false}};
  }
  // The CA picks one address of each family; thousands of records must not
  // mean thousands of 10-second fetches.
  std::vector<Finding> findings;
  std::size_t v4_total = 0;
  std::size_t v6_total = 0;
  std::vector<bool> fetched_v6;
  std::vector<Outcome> outcomes;
  for (const auto& address : target.addresses) {
    const bool v6 = is_ipv6(address);
    const std::size_t seen = v6 ? v6_total++ : v4_total++;
    if (seen < k_max_addresses_per_family) {
      AddressResult result = fetch_at(target, address, token, content, site, transport);
      findings.push_back(std::move(result.finding));
      outcomes.push_back(result.outcome);
      fetched_v6.push_back(v6);
    }
  }
  site.remove(target.name, token);
  downgrade_ipv6_when_ipv4_passes(findings, fetched_v6, outcomes);
  if (v4_total > k_max_addresses_per_family || v6_total > k_max_addresses_per_family) {
    findings.push_back(
        {"http-01", target.name, Status::warn,
         fmt::format("fetched {} of {} IPv4 and {} of {} IPv6 addresses; the others were not "
                     "tried",
                     std::min(v4_total, k_max_addresses_per_family), v4_total,
                     std::min(v6_total, k_max_addresses_per_family), v6_total),
         "the CA may pick any of the addresses: keep only those of servers that serve the token",
         false});
  }
  return findings;
}

std::unique_ptr<http::Transport> make_probe_transport() {
  http::TransportOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.total_timeout = std::chrono::seconds(10);
  options.max_body_bytes = 64 * 1024;
  return http::make_curl_transport(options);
}

} // namespace certsmith::preflight
