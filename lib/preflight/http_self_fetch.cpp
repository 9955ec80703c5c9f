#include "preflight/http_self_fetch.hpp"

#include "acme/url.hpp"
#include "crypto/base64url.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>
#include <random>
#include <set>

namespace certsmith::preflight {

namespace {

constexpr int k_max_redirects = 10; // Let's Encrypt follows at most 10

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 200);
}

std::string host_port(const std::string& host, std::uint16_t port) {
  return port == 80 ? host : fmt::format("{}:{}", host, port);
}

std::string address_in_url(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
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

Finding fetch_at(const SelfFetch& target, const std::string& address, const std::string& token,
                 const std::string& content, const TokenSite& site, http::Transport& transport) {
  Finding finding{"http-01", fmt::format("{} via {}", target.name, address), Status::pass, "", "",
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
      finding.status = Status::fail;
      finding.detail = fmt::format("connection to {} port {} failed: {}", address, target.port,
                                   shown(error.what()));
      finding.fix = fmt::format(
          "make a web server listen on port {} at {} and let it through any firewall (the CA "
          "connects to port 80)",
          target.port, address);
      return finding;
    }
    seen.insert(url);
    if (response.status >= 300 && response.status < 400 && response.header("location")) {
      const std::string next = acme::resolve_url_reference(*response.header("location"), url);
      if (hop + 1 >= k_max_redirects || seen.contains(next)) {
        finding.status = Status::fail;
        finding.detail =
            fmt::format("redirect loop: {} redirects back to {}", shown(url), shown(next));
        finding.fix = "fix the web server's redirects for /.well-known/acme-challenge/";
        return finding;
      }
      if (acme::origin_of(next) == origin) {
        url = next;
        continue;
      }
      const bool https_same_host =
          acme::origin_of(next) == acme::origin_of("https://" + target.name + "/");
      finding.status = https_same_host ? Status::warn : Status::fail;
      finding.detail = fmt::format("{} redirects to {}", shown(url), shown(next));
      finding.fix =
          https_same_host
              ? "the CA follows a redirect to https (without checking the certificate); doctor "
                "does not: serve /.well-known/acme-challenge/ over plain http to be sure"
              : fmt::format("the token was placed in {} but the request is sent elsewhere: "
                            "serve /.well-known/acme-challenge/ for {} from there",
                            site.where(target.name), target.name);
      return finding;
    }
    if (response.status != 200) {
      finding.status = Status::fail;
      finding.detail = fmt::format("{} answered HTTP status {}", shown(url), response.status);
      finding.fix = fmt::format("make the web server for {} serve /.well-known/acme-challenge/ "
                                "from {} without authentication or rewriting",
                                target.name, site.where(target.name));
      return finding;
    }
    if (trailing_space_trimmed(response.body) != content) {
      finding.status = Status::fail;
      finding.detail = fmt::format("{} answered with the wrong content (\"{}\")", shown(url),
                                   util::escape_untrusted(response.body, 60));
      finding.fix = fmt::format("{} reaches another server or site: check its DNS records and "
                                "that its virtual host uses {}",
                                target.name, site.where(target.name));
      return finding;
    }
    finding.detail = fmt::format("http://{}/.well-known/acme-challenge/ serves the token",
                                 host_port(target.name, target.port));
    return finding;
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
  std::vector<Finding> findings;
  for (const auto& address : target.addresses) {
    findings.push_back(fetch_at(target, address, token, content, site, transport));
  }
  site.remove(target.name, token);
  return findings;
}

} // namespace certsmith::preflight
