#include "issuance/revoke.hpp"

#include "acme/client.hpp"
#include "crypto/certificate.hpp"
#include "crypto/certificate_der.hpp"
#include "issuance/revoke_reason.hpp"
#include "store/account_store.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

constexpr std::size_t k_max_pem_bytes = 1 << 20;

std::filesystem::path normal_absolute(const std::filesystem::path& path) {
  std::error_code ignored;
  auto absolute = std::filesystem::absolute(path, ignored);
  return (absolute.empty() ? path : absolute).lexically_normal();
}

// archive_dir/certN.pem or archive_dir/fullchainN.pem (certbot's acceptable matches).
bool is_archived_certificate(const std::filesystem::path& path,
                             const std::filesystem::path& archive_dir) {
  if (path.parent_path() != normal_absolute(archive_dir))
    return false;
  std::string file = path.filename().string();
  for (std::string_view kind : {"cert", "fullchain"}) {
    if (!file.starts_with(kind) || !file.ends_with(".pem"))
      continue;
    std::string_view digits(file.data() + kind.size(), file.size() - kind.size() - 4);
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos)
      return true;
  }
  return false;
}

// The lineage whose links or archive hold `cert_path`, when exactly one does.
std::optional<store::Lineage> lineage_of_path(const store::TreePaths& paths,
                                              const std::filesystem::path& cert_path) {
  const auto wanted = normal_absolute(cert_path);
  std::optional<store::Lineage> found;
  int matches = 0;
  for (const auto& name : store::Lineage::list_names(paths)) {
    try {
      auto lineage = store::Lineage::load_for_check(paths, name);
      if (normal_absolute(lineage.cert_path()) == wanted ||
          normal_absolute(lineage.fullchain_path()) == wanted ||
          is_archived_certificate(wanted, lineage.archive_dir())) {
        ++matches;
        found = std::move(lineage);
      }
    } catch (const Error& error) {
      util::log_debug("skipping lineage {}: {}", name, error.what());
    }
  }
  if (matches > 1) {
    util::log_warning("{} belongs to more than one lineage; none is taken as its own",
                      util::escape_untrusted(cert_path.string(), 512));
    return std::nullopt;
  }
  return found;
}

std::string read_input_file(const std::filesystem::path& path, const char* what) {
  try {
    return store::read_file(path, k_max_pem_bytes);
  } catch (const Error& error) {
    throw Error(fmt::format("cannot read the {} {}: {}", what,
                            util::escape_untrusted(path.string(), 512),
                            util::escape_untrusted(error.what(), 1024))); // it names the path too
  }
}

// The conf's `account =` is a hint: a value that is no account id (the conf
// is a text file anyone may have edited) is logged and the first stored
// account is used, as when the conf names none. --account stays strict.
std::optional<store::StoredAccount> recorded_account(const RevokeRequest& request,
                                                     const RevokeTarget& target) {
  if (target.account_id.empty())
    return std::nullopt;
  try {
    return store::load_account(request.paths, target.server, target.account_id);
  } catch (const UsageError& error) {
    util::log_info("ignoring the renewal conf's account {} ({}); using the first stored account",
                   util::escape_untrusted(target.account_id, 64), error.what());
    return std::nullopt;
  }
}

store::StoredAccount revoking_account(const RevokeRequest& request, const RevokeTarget& target) {
  const std::string server = util::escape_untrusted(target.server, 512);
  if (!request.account_id.empty()) {
    if (auto account = store::load_account(request.paths, target.server, request.account_id))
      return std::move(*account);
    throw UsageError(fmt::format("no account {} is stored for {}",
                                 util::escape_untrusted(request.account_id, 64), server));
  }
  if (auto account = recorded_account(request, target))
    return std::move(*account);
  auto accounts = store::load_accounts(request.paths, target.server);
  if (accounts.empty())
    throw UsageError(
        fmt::format("no account is stored for {}: revoke with the certificate's own key instead "
                    "(--key-path, e.g. the lineage's privkey.pem)",
                    server));
  return std::move(accounts.front());
}

} // namespace

RevokeTarget resolve_revoke_target(const RevokeRequest& request) {
  if (request.cert_name.has_value() == !request.cert_path.empty())
    throw UsageError("exactly one of --cert-path or --cert-name must be given");
  RevokeTarget target;
  std::optional<store::Lineage> lineage;
  if (request.cert_name) {
    const std::string& name = *request.cert_name;
    store::require_lineage_conf(request.paths, name);
    lineage = store::Lineage::load(request.paths, name);
    target.cert_path = lineage->cert_path();
  } else {
    target.cert_path = request.cert_path;
    lineage = lineage_of_path(request.paths, target.cert_path);
  }
  if (lineage) {
    target.lineage = lineage->name();
    target.account_id = lineage->params().account;
  }
  if (request.server)
    target.server = *request.server;
  else if (lineage && !lineage->params().server.empty())
    target.server = lineage->params().server;
  else
    target.server = request.default_server;
  return target;
}

RevocationRefused explain_revocation_refusal(const acme::Problem& problem,
                                             const std::string& certificate, int reason,
                                             bool by_account) {
  const std::string type = problem.short_type();
  if (type == "alreadyRevoked")
    return {fmt::format("the certificate {} was already revoked", certificate), true};
  if (type == "unauthorized")
    return {fmt::format("the CA refused to revoke {}: {}{}", certificate, problem.describe(),
                        by_account ? " (the account must have issued it or control all its "
                                     "names; or revoke with its own key: --key-path)"
                                   : ""),
            false};
  if (type == "badRevocationReason")
    return {fmt::format("the CA does not accept the revocation reason {} for {}: {}",
                        revocation_reason_name(reason), certificate, problem.describe()),
            false};
  return {fmt::format("the CA refused to revoke {}: {}", certificate, problem.describe()), false};
}

RevokeResult revoke(const RevokeRequest& request, http::Transport& transport, util::Clock& clock) {
  RevokeResult result;
  result.target = resolve_revoke_target(request);
  const std::string cert_label = util::escape_untrusted(result.target.cert_path.string(), 512);
  const std::string cert_file = read_input_file(result.target.cert_path, "certificate");
  // certbot reads the file as PEM, then as DER; the readers below take PEM.
  std::string der;
  std::string cert_pem;
  try {
    der = crypto::certificate_der(cert_file);
    cert_pem = crypto::certificate_pem_from_der(der);
    result.serial_hex = crypto::read_certificate(cert_pem).serial_hex;
  } catch (const CryptoError& error) {
    throw Error(fmt::format("{} holds no readable certificate: {}", cert_label, error.what()));
  }

  acme::Client client(transport, clock, result.target.server);
  std::optional<crypto::PrivateKey> certificate_key;
  if (!request.key_path.empty()) {
    const std::string key_label = util::escape_untrusted(request.key_path, 512);
    const std::string key_pem = read_input_file(request.key_path, "private key");
    try {
      certificate_key = crypto::PrivateKey::from_pem(key_pem);
      if (!crypto::certificate_matches_key(cert_pem, key_pem))
        throw UsageError(fmt::format("the key in {} does not match the certificate in {}",
                                     key_label, cert_label));
    } catch (const CryptoError& error) {
      throw Error(fmt::format("{} holds no usable private key: {}", key_label, error.what()));
    }
    util::log_debug("revoking {} (serial {}) with its own key {}", cert_label, result.serial_hex,
                    key_label);
  } else {
    store::StoredAccount account = revoking_account(request, result.target);
    util::log_debug("revoking {} (serial {}) with account {}", cert_label, result.serial_hex,
                    account.id);
    client.use_account(account.key, account.uri);
  }

  try {
    client.revoke_certificate(der, request.reason, certificate_key ? &*certificate_key : nullptr);
  } catch (const acme::AcmeError& error) {
    throw explain_revocation_refusal(error.problem(), cert_label, request.reason, !certificate_key);
  }
  return result;
}

} // namespace certsmith::issuance
