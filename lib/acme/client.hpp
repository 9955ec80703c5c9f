#pragma once
// An RFC 8555 client for one CA and (once set) one account. Every request goes
// through the Transport seam; time through the Clock seam. The one retry in
// the program lives here: a badNonce is retried with the fresh nonce that came
// with it until a deadline (not a small count: at high rejection rates the
// count runs out long before the CA stops answering).

#include "acme/ari.hpp"
#include "acme/nonce_pool.hpp"
#include "acme/resources.hpp"
#include "crypto/private_key.hpp"
#include "http/transport.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::acme {

/// certbot's default --issuance-timeout.
inline constexpr std::chrono::seconds k_default_issuance_timeout{90};

struct ClientOptions {
  std::chrono::seconds bad_nonce_deadline{60};
  int max_bad_nonce_retries = 500;
  std::chrono::seconds poll_deadline{120}; // for the CA to decide an authorization
  /// certbot's --issuance-timeout: how long a finalized order may take to
  /// become valid (certbot saves it in no renewal conf, nor do we).
  std::chrono::seconds issuance_timeout = k_default_issuance_timeout;
  // Pebble and busy CAs alike: look again soon, then back off (x2 up to the max).
  std::chrono::milliseconds first_poll_delay{10};
  std::chrono::milliseconds max_poll_interval{2000};
};

struct NewAccountOptions {
  std::vector<std::string> contact; // "mailto:admin@example.com"
  bool terms_of_service_agreed = false;
  std::optional<nlohmann::json> external_account_binding; // from crypto::sign_eab
};

struct Account {
  std::string url; // the kid
  nlohmann::json body;
};

struct CertificateChain {
  std::string pem;                         // leaf first, then the issuers
  std::vector<std::string> alternate_urls; // RFC 8555 §7.4.2 Link rel="alternate"
};

class Client {
public:
  Client(http::Transport& transport, util::Clock& clock, std::string directory_url,
         ClientOptions options = {});

  const std::string& directory_url() const { return m_directory_url; }
  /// RFC 8555 §7.1.1: fetched on first use, then cached.
  const Directory& directory();

  /// Sign later requests with key and kid account_url.
  void use_account(crypto::PrivateKey key, std::string account_url);
  bool has_account() const { return !m_account_url.empty(); }

  /// RFC 8555 §7.3: create an account for key (or find the existing one: 200).
  Account new_account(const crypto::PrivateKey& key, const NewAccountOptions& options);

  /// RFC 8555 §7.4: ask for a certificate for identifiers. RFC 9773 §5: a
  /// non-empty `replaces` (an ARI certificate ID) names the certificate this
  /// order replaces; send it only when the directory has renewalInfo.
  /// draft-aaron-acme-profiles §4: a non-empty profile is sent as "profile".
  Order new_order(const std::vector<Identifier>& identifiers, const std::string& replaces = {},
                  const std::string& profile = {});
  /// RFC 8555 §7.5: POST-as-GET an authorization.
  Authorization fetch_authorization(const std::string& url);
  /// RFC 8555 §7.5.1: tell the server the challenge is ready.
  Challenge respond_to_challenge(const std::string& url);
  /// Poll until the authorization leaves "pending"; honours Retry-After.
  Authorization poll_authorization(const std::string& url);
  /// RFC 8555 §7.4: send the CSR (DER); returns the order as answered.
  Order finalize_order(const Order& order, const std::string& csr_der);
  /// Poll the order (just finalized, so first wait a moment) until it is
  /// "valid" or "invalid"; honours Retry-After. ProtocolError when
  /// options.issuance_timeout runs out first.
  Order poll_order(const std::string& url);
  /// RFC 8555 §7.4.2: download the chain (application/pem-certificate-chain).
  /// Alternate links off the certificate URL's origin are dropped.
  CertificateChain download_certificate(const std::string& url);
  /// RFC 9773 §4.1: unauthenticated GET of renewalInfo/<cert_id>, with the
  /// answer's Retry-After clamped (§4.3.2). Throws ProtocolError when the
  /// directory has no renewalInfo, cert_id is malformed or the answer is
  /// invalid; AcmeError for an error status; NetworkError from the transport.
  RenewalInfo fetch_renewal_info(const std::string& cert_id);

  // ----- accounts (client_account.cpp) -----
  /// RFC 8555 §7.3.1: the account of key, without creating one
  /// (onlyReturnExisting); nullopt when the CA knows no account for key.
  std::optional<Account> find_account(const crypto::PrivateKey& key);
  /// RFC 8555 §7.3.3: POST-as-GET the current account.
  Account fetch_account();
  /// RFC 8555 §7.3.2: update the account, e.g. {"contact": ["mailto:..."]}.
  Account update_account(const nlohmann::json& changes);
  /// RFC 8555 §7.3.6: deactivate the account (it cannot be used again).
  Account deactivate_account();
  /// RFC 8555 §7.3.5: replace the account key with new_key; on success the
  /// client signs with new_key from then on.
  void change_account_key(const crypto::PrivateKey& new_key);

  // ----- revocation (client_revoke.cpp) -----
  /// RFC 8555 §7.6: revoke certificate_der with an RFC 5280 reason code
  /// (nullopt: none sent). Signed by the account, or, when certificate_key is
  /// given, by the certificate's own key (jwk in the JWS, no account needed).
  void revoke_certificate(const std::string& certificate_der, std::optional<int> reason,
                          const crypto::PrivateKey* certificate_key = nullptr);

  /// A signed POST with the account's kid; payload nullopt = POST-as-GET.
  /// Throws AcmeError for error responses (after badNonce retries).
  http::Response post(const std::string& url, const std::optional<nlohmann::json>& payload);

  /// How many HTTP requests this client has made (for benchmarks and -v output).
  int request_count() const { return m_request_count; }

private:
  http::Response signed_post(const std::string& url, const std::string& payload,
                             const crypto::PrivateKey& key, const std::string& kid);
  std::string take_nonce();
  http::Response perform(const http::Request& request);
  std::chrono::milliseconds next_poll_delay(const http::Response& response,
                                            std::chrono::milliseconds& backoff) const;

  http::Transport& m_transport;
  util::Clock& m_clock;
  std::string m_directory_url;
  ClientOptions m_options;
  std::optional<Directory> m_directory;
  NoncePool m_nonces;
  std::optional<crypto::PrivateKey> m_account_key;
  std::string m_account_url;
  int m_request_count = 0;
};

} // namespace certsmith::acme
