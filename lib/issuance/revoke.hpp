#pragma once
// `revoke`: RFC 8555 §7.6 revocation of a lineage's certificate or of any
// certificate file, signed by the stored account or by the certificate's own
// key. Deleting the lineage afterwards is the caller's choice.

#include "acme/problem.hpp"
#include "http/transport.hpp"
#include "store/tree_paths.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace certsmith::issuance {

struct RevokeRequest {
  store::TreePaths paths;
  std::optional<std::string> cert_name; // exactly one of cert_name and cert_path
  std::string cert_path;
  std::string key_path;              // "": sign with the stored account's key
  std::optional<std::string> server; // --server as given; nullopt: the lineage's, else default
  std::string default_server;
  std::string account_id; // --account; "": the lineage's account, else the first
  int reason = 0;         // RFC 5280 code (revoke_reason.hpp)
};

/// What is revoked, where it belongs, and which CA is asked.
struct RevokeTarget {
  std::filesystem::path cert_path;
  std::optional<std::string> lineage; // the lineage the certificate file belongs to
  std::string account_id;             // the lineage's recorded account, "" when none
  std::string server;
};

/// certbot's choice of target: --cert-name gives the lineage's cert.pem and its
/// conf's server; a --cert-path that is a lineage's cert or fullchain link, or
/// one of its archived cert/fullchain files, identifies that lineage (certbot's
/// cert_path_to_lineage; none when several lineages claim it). --server always
/// wins over the lineage's. Throws UsageError for both or neither of
/// cert_name/cert_path or an invalid name, store::LineageNotFound for an
/// unknown one, StorageError for a broken lineage.
RevokeTarget resolve_revoke_target(const RevokeRequest& request);

/// The CA refused the revocation (ExitCode::acme).
class RevocationRefused : public Error {
public:
  RevocationRefused(const std::string& message, bool already_revoked)
      : Error(message), m_already_revoked(already_revoked) {}
  ExitCode exit_code() const override { return ExitCode::acme; }
  bool already_revoked() const { return m_already_revoked; }

private:
  bool m_already_revoked;
};

/// The error for a refusal of the revocation of `certificate` (a path): for
/// alreadyRevoked, unauthorized and badRevocationReason a line that says what
/// happened and what to do; otherwise the CA's own words.
RevocationRefused explain_revocation_refusal(const acme::Problem& problem,
                                             const std::string& certificate, int reason,
                                             bool by_account);

struct RevokeResult {
  RevokeTarget target;
  std::string serial_hex;
};

/// Revoke the target's certificate. By account key: the stored account for the
/// server (--account, else the lineage's, else the first); none stored is an
/// error that suggests --key-path: no account is registered to revoke. By
/// certificate key: the key must match the certificate, and no account is used.
/// Throws RevocationRefused, UsageError (mismatched key, no account), Error for
/// an unreadable certificate or key file, NetworkError, ProtocolError.
RevokeResult revoke(const RevokeRequest& request, http::Transport& transport, util::Clock& clock);

} // namespace certsmith::issuance
