#include "acme/client.hpp"

#include "acme/json_body.hpp"
#include "acme/link_header.hpp"
#include "acme/retry_after.hpp"
#include "acme/url.hpp"
#include "crypto/base64url.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jws.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>

namespace certsmith::acme {

namespace {

constexpr std::string_view k_jose_json = "application/jose+json";
// RFC 8555 §7.4.2 puts no bound on Link headers; the transport's header cap is
// the real limit, this one keeps the list short.
constexpr std::size_t k_max_alternate_links = 20;

std::string location_of(const http::Response& response, std::string_view what) {
  auto location = response.header("location");
  if (!location)
    throw ProtocolError(fmt::format("the CA's answer to {} has no Location header", what));
  return *location;
}

// An alternate chain is the same certificate served differently, so it lives
// where the certificate does; a link elsewhere is not followed. The target is
// read relative to the certificate URL first (RFC 8288 §3.2), so "/cert/1/1"
// and "1/1" are as good as the absolute URL.
std::optional<std::string> followable_alternate(const std::string& target,
                                                const std::string& certificate_url,
                                                const std::string& directory_url) {
  std::string resolved = resolve_url_reference(target, certificate_url);
  try {
    check_server_url(resolved, directory_url);
  } catch (const ProtocolError&) {
    return std::nullopt;
  }
  if (!is_same_origin(resolved, certificate_url))
    return std::nullopt;
  return resolved;
}

bool is_final_authorization_status(const std::string& status) {
  return status != "pending" && status != "processing";
}

} // namespace

Client::Client(http::Transport& transport, util::Clock& clock, std::string directory_url,
               ClientOptions options)
    : m_transport(transport), m_clock(clock), m_directory_url(std::move(directory_url)),
      m_options(options) {}

http::Response Client::perform(const http::Request& request) {
  ++m_request_count;
  util::log_debug("{} {}", request.method, request.url);
  http::Response response = m_transport.perform(request);
  util::log_debug("-> {} ({} bytes)", response.status, response.body.size());
  if (auto nonce = response.header("replay-nonce"))
    m_nonces.add(*nonce);
  return response;
}

const Directory& Client::directory() {
  if (!m_directory) {
    http::Response response = perform({"GET", m_directory_url, {}, {}});
    if (response.status != 200)
      throw AcmeError(problem_from_response(response));
    m_directory = parse_directory(parse_json_body(response.body, "the directory"), m_directory_url);
  }
  return *m_directory;
}

void Client::use_account(crypto::PrivateKey key, std::string account_url) {
  check_server_url(account_url, m_directory_url);
  m_account_key = std::move(key);
  m_account_url = std::move(account_url);
}

std::string Client::take_nonce() {
  if (auto nonce = m_nonces.take())
    return *nonce;
  http::Response response = perform({"HEAD", directory().new_nonce, {}, {}});
  if (auto nonce = m_nonces.take())
    return *nonce;
  if (response.status >= 400)
    throw AcmeError(problem_from_response(response));
  throw ProtocolError("the CA's newNonce answer has no valid Replay-Nonce header");
}

http::Response Client::signed_post(const std::string& url, const std::string& payload,
                                   const crypto::PrivateKey& key, const std::string& kid) {
  const auto deadline = m_clock.now() + m_options.bad_nonce_deadline;
  for (int attempt = 0;; ++attempt) {
    nlohmann::json header = {
        {"alg", crypto::jws_algorithm(key)}, {"nonce", take_nonce()}, {"url", url}};
    if (kid.empty())
      header["jwk"] = crypto::public_jwk(key);
    else
      header["kid"] = kid;
    http::Request request{"POST",
                          url,
                          {{"Content-Type", std::string(k_jose_json)}},
                          crypto::sign_jws(key, header, payload).dump()};
    http::Response response = perform(request);
    if (response.status < 400)
      return response;
    Problem problem = problem_from_response(response);
    // RFC 8555 §6.5: the error carries a fresh nonce, already in the pool.
    if (problem.short_type() == "badNonce" && attempt < m_options.max_bad_nonce_retries &&
        m_clock.now() < deadline) {
      util::log_debug("badNonce from {}, retrying (attempt {})", url, attempt + 1);
      continue;
    }
    throw AcmeError(std::move(problem));
  }
}

http::Response Client::post(const std::string& url, const std::optional<nlohmann::json>& payload) {
  if (!m_account_key)
    throw Error("internal: an ACME request was made before an account was chosen");
  return signed_post(url, payload ? payload->dump() : std::string(), *m_account_key, m_account_url);
}

Account Client::new_account(const crypto::PrivateKey& key, const NewAccountOptions& options) {
  nlohmann::json payload = {{"termsOfServiceAgreed", options.terms_of_service_agreed}};
  if (!options.contact.empty())
    payload["contact"] = options.contact;
  if (options.external_account_binding)
    payload["externalAccountBinding"] = *options.external_account_binding;
  http::Response response = signed_post(directory().new_account, payload.dump(), key, "");
  Account account{location_of(response, "newAccount"),
                  parse_json_body(response.body, "the account")};
  use_account(key, account.url);
  return account;
}

Order Client::new_order(const std::vector<Identifier>& identifiers, const std::string& replaces,
                        const std::string& profile) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& identifier : identifiers)
    list.push_back({{"type", identifier.type}, {"value", identifier.value}});
  nlohmann::json payload{{"identifiers", list}};
  if (!replaces.empty())
    payload["replaces"] = replaces;
  if (!profile.empty())
    payload["profile"] = profile;
  http::Response response = post(directory().new_order, payload);
  return parse_order(parse_json_body(response.body, "the order"), location_of(response, "newOrder"),
                     m_directory_url);
}

Authorization Client::fetch_authorization(const std::string& url) {
  http::Response response = post(url, std::nullopt);
  return parse_authorization(parse_json_body(response.body, "an authorization"), url,
                             m_directory_url);
}

Challenge Client::respond_to_challenge(const std::string& url) {
  http::Response response = post(url, nlohmann::json::object());
  return parse_challenge(parse_json_body(response.body, "a challenge"), m_directory_url);
}

std::chrono::milliseconds Client::next_poll_delay(const http::Response& response,
                                                  std::chrono::milliseconds& backoff) const {
  if (auto value = response.header("retry-after")) {
    if (auto seconds = parse_retry_after(*value, m_clock.now()))
      return std::min<std::chrono::milliseconds>(*seconds, m_options.poll_deadline);
  }
  auto delay = backoff;
  backoff = std::min(backoff * 2, m_options.max_poll_interval);
  return delay;
}

Authorization Client::poll_authorization(const std::string& url) {
  const auto deadline = m_clock.now() + m_options.poll_deadline;
  auto backoff = m_options.first_poll_delay;
  m_clock.sleep_for(next_poll_delay({}, backoff));
  for (;;) {
    http::Response response = post(url, std::nullopt);
    Authorization authorization = parse_authorization(
        parse_json_body(response.body, "an authorization"), url, m_directory_url);
    if (is_final_authorization_status(authorization.status))
      return authorization;
    auto delay = next_poll_delay(response, backoff);
    if (m_clock.now() + delay > deadline)
      throw ProtocolError(fmt::format("the CA did not decide on {} within {} s",
                                      authorization.identifier.value,
                                      m_options.poll_deadline.count()));
    m_clock.sleep_for(delay);
  }
}

Order Client::finalize_order(const Order& order, const std::string& csr_der) {
  http::Response response =
      post(order.finalize, nlohmann::json{{"csr", crypto::base64url_encode(csr_der)}});
  return parse_order(parse_json_body(response.body, "the order"), order.url, m_directory_url);
}

Order Client::poll_order(const std::string& url) {
  const auto deadline = m_clock.now() + m_options.issuance_timeout;
  auto backoff = m_options.first_poll_delay;
  m_clock.sleep_for(next_poll_delay({}, backoff));
  for (;;) {
    http::Response response = post(url, std::nullopt);
    Order order = parse_order(parse_json_body(response.body, "the order"), url, m_directory_url);
    if (order.status == "valid" || order.status == "invalid")
      return order;
    auto delay = next_poll_delay(response, backoff);
    if (m_clock.now() + delay > deadline)
      throw ProtocolError(
          fmt::format("the CA did not finish the order within {} s (--issuance-timeout)",
                      m_options.issuance_timeout.count()));
    m_clock.sleep_for(delay);
  }
}

CertificateChain Client::download_certificate(const std::string& url) {
  http::Response response = post(url, std::nullopt);
  CertificateChain chain;
  chain.pem = response.body;
  for (const auto& target : link_targets(response.headers_named("link"), "alternate")) {
    if (chain.alternate_urls.size() == k_max_alternate_links)
      break;
    std::optional<std::string> alternate = followable_alternate(target, url, m_directory_url);
    if (!alternate) {
      util::log_warning("ignoring an alternate certificate chain the CA links off its own server: "
                        "'{}'",
                        util::escape_untrusted(target, 200));
      continue;
    }
    chain.alternate_urls.push_back(std::move(*alternate));
  }
  return chain;
}

RenewalInfo Client::fetch_renewal_info(const std::string& cert_id) {
  const std::string& base = directory().renewal_info;
  if (base.empty())
    throw ProtocolError("the CA does not offer ACME Renewal Information (no renewalInfo)");
  if (!is_ari_certificate_id(cert_id))
    throw ProtocolError("internal: malformed ARI certificate ID");
  // RFC 9773 §4.1 joins with "/"; a base that already ends in one must not give "//".
  std::string url = base.ends_with('/') ? base + cert_id : base + "/" + cert_id;
  http::Response response = perform({"GET", url, {}, {}});
  if (response.status >= 400)
    throw AcmeError(problem_from_response(response));
  if (response.status != 200)
    throw ProtocolError(
        fmt::format("the CA answered the renewalInfo request with status {}", response.status));
  RenewalInfo info = parse_renewal_info(parse_json_body(response.body, "the renewalInfo"));
  if (auto value = response.header("retry-after")) {
    if (auto seconds = parse_retry_after(*value, m_clock.now()))
      info.retry_after = clamp_ari_retry_after(*seconds);
  }
  return info;
}

} // namespace certsmith::acme
