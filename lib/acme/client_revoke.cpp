#include "acme/client.hpp"
#include "crypto/base64url.hpp"

namespace certsmith::acme {

void Client::revoke_certificate(const std::string& certificate_der, std::optional<int> reason,
                                const crypto::PrivateKey* certificate_key) {
  const std::string& url = directory().revoke_cert;
  if (url.empty())
    throw ProtocolError("the CA's directory offers no revokeCert");
  nlohmann::json payload{{"certificate", crypto::base64url_encode(certificate_der)}};
  if (reason)
    payload["reason"] = *reason;
  // RFC 8555 §7.6: signed either by the account (kid) or by the certificate's
  // own key, in which case the JWS carries that key as a jwk.
  if (certificate_key) {
    signed_post(url, payload.dump(), *certificate_key, "");
    return;
  }
  if (!m_account_key)
    throw Error("internal: revocation by account key before an account was chosen");
  signed_post(url, payload.dump(), *m_account_key, m_account_url);
}

} // namespace certsmith::acme
