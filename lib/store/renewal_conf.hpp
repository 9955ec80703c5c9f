#pragma once
// Typed view of a renewal conf's options: [renewalparams] (with [[webroot_map]])
// and the top-level renew_before_expiry, spelled the way certbot spells them.

#include "store/config_obj.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::store {

/// Certbot's renewal parameters. Empty strings / empty containers / nullopt
/// mean "not set": such keys are not written (and are removed from a conf).
struct RenewalParams {
  std::string account;        // account id (md5 hex), see account_store.hpp
  std::string authenticator;  // "webroot", "standalone", "manual", "dns-rfc2136", ...
  std::string installer;      // "nginx", "apache", "none", ...
  std::string server;         // ACME directory URL
  std::string key_type;       // "ecdsa" or "rsa"; a conf without it means "rsa"
  std::string elliptic_curve; // "secp256r1" / "secp384r1"
  std::optional<int> rsa_key_size;
  std::vector<std::string> webroot_path;          // written as a list: `/var/www/html,`
  std::map<std::string, std::string> webroot_map; // [[webroot_map]] domain = path
  std::optional<int> http01_port;
  std::string http01_address;
  std::string pre_hook;
  std::string post_hook;
  std::string renew_hook; // certbot's name for the deploy hook
  std::string manual_auth_hook;
  std::string manual_cleanup_hook;
  std::string dns_rfc2136_credentials;                // certbot-dns-rfc2136's ini path
  std::optional<int> dns_rfc2136_propagation_seconds; // fixed wait instead of checking
  std::vector<std::string> dns_resolvers;             // certsmith: --dns-resolvers
  std::optional<int> tls_alpn01_port;                 // certsmith: --tls-alpn-01-port
  std::string serve_token_dir;                        // certsmith: -a serve --serve-token-dir
  std::string preferred_chain;
  std::vector<std::string> pref_challs; // "http-01", "dns-01", ...
  std::string preferred_profile;        // certbot 4: --preferred-profile
  std::string required_profile;         // certbot 4: --required-profile
  std::optional<bool> reuse_key;        // written as True / False
  std::optional<bool> must_staple;      // written as True / False
  std::optional<bool> autorenew;        // certbot's --no-autorenew saves False: renew skips it
  std::optional<std::string> renew_before_expiry; // top level, e.g. "30 days"
  // certsmith only (issuance/fallback.hpp): which kind of certificate is live
  // ("" = one from the CA), the names it stands in for, and the fallback chosen.
  std::string certsmith_live_kind;          // "self-signed-bootstrap", ...
  std::vector<std::string> certsmith_names; // set while a fallback is live
  std::optional<bool> certsmith_fallback_self_signed;
  std::string certsmith_fallback_cert; // user fallback: absolute paths
  std::string certsmith_fallback_key;

  bool operator==(const RenewalParams&) const = default;
};

/// Read the options of a parsed renewal conf. A missing [renewalparams] gives
/// defaults. Throws StorageError "<conf>: rsa_key_size must be a number, not 'x'"
/// for a malformed number or boolean.
RenewalParams read_renewal_params(const ConfigObj& conf);

/// Write `params` into `conf`: set keys are written, unset known keys are
/// removed, keys this struct does not know stay as they are. Creates
/// [renewalparams] with certbot's comment when missing, and certbot's
/// "# renew_before_expiry = 30 days" initial comment when there is none.
void write_renewal_params(ConfigObj& conf, const RenewalParams& params);

} // namespace certsmith::store
