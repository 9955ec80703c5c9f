#include "issuance/certonly_csr.hpp"

#include "acme/problem.hpp"
#include "crypto/certificate.hpp"
#include "issuance/issue_lineage.hpp"
#include "issuance/obtain.hpp"
#include "issuance/run_context.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <system_error>

namespace certsmith::issuance {

namespace {

namespace fs = std::filesystem;

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool exists_at_all(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

std::string joined(const std::vector<acme::Identifier>& identifiers) {
  std::string out;
  for (const auto& identifier : identifiers)
    out += (out.empty() ? "" : ", ") + identifier.value;
  return out;
}

// fs::absolute without an error_code throws filesystem_error when the
// current directory was deleted under us; that is the user's to fix.
fs::path absolute_path(const fs::path& path, const std::string& what) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error)
    throw UsageError(fmt::format("{}: the current directory cannot be read ({}): change to a "
                                 "directory that exists or give absolute paths",
                                 what, error.message()));
  return absolute.lexically_normal();
}

fs::path given_path(const std::string& flag, const std::string& path) {
  fs::path absolute = absolute_path(path, fmt::format("{} {}", flag, path));
  if (exists_at_all(absolute))
    throw UsageError(
        fmt::format("{} {} already exists: choose a new file (it is never overwritten)", flag,
                    absolute.string()));
  std::error_code error;
  if (!fs::is_directory(absolute.parent_path(), error))
    throw UsageError(fmt::format("{} {}: no such directory {}", flag, absolute.string(),
                                 absolute.parent_path().string()));
  return absolute;
}

// One file however it is spelled: its directory with symlinks and ".."
// resolved, then its name.
fs::path identity_of(const fs::path& path) {
  std::error_code error;
  fs::path directory = fs::canonical(path.parent_path(), error);
  return (error ? path.parent_path() : directory) / path.filename();
}

crypto::CsrContents read_csr_file(const std::string& path) {
  try {
    return crypto::read_csr(store::read_file(path, crypto::k_max_csr_bytes));
  } catch (const Error& error) { // StorageError or CryptoError: the user's file, a usage error
    throw UsageError(fmt::format("cannot use --csr {}: {}", path, error.what()));
  }
}

} // namespace

CsrOutputPaths choose_csr_output_paths(const std::string& cert_path, const std::string& chain_path,
                                       const std::string& fullchain_path,
                                       const fs::path& directory) {
  CsrOutputPaths given;
  if (!cert_path.empty())
    given.cert = given_path("--cert-path", cert_path);
  if (!chain_path.empty())
    given.chain = given_path("--chain-path", chain_path);
  if (!fullchain_path.empty())
    given.fullchain = given_path("--fullchain-path", fullchain_path);
  std::vector<fs::path> taken; // the files given, as identities
  for (const fs::path* path : {&given.cert, &given.chain, &given.fullchain}) {
    if (path->empty())
      continue;
    fs::path identity = identity_of(*path);
    if (std::find(taken.begin(), taken.end(), identity) != taken.end()) // one file cannot hold two
      throw UsageError("--cert-path, --chain-path and --fullchain-path must be different files");
    taken.push_back(identity);
  }
  if (taken.size() == 3)
    return given;

  fs::path base = absolute_path(directory, "cannot choose NNNN_cert.pem names");
  // A default name is free when nothing is there and it is not a file given
  // for another of the three (--chain-path 0000_cert.pem moves cert on to 0001).
  auto is_free = [&](const fs::path& numbered) {
    return !exists_at_all(numbered) &&
           std::find(taken.begin(), taken.end(), identity_of(numbered)) == taken.end();
  };
  for (int counter = 0; counter <= 9999; ++counter) {
    auto numbered = [&](const char* stem) {
      return base / fmt::format("{:04d}_{}.pem", counter, stem);
    };
    CsrOutputPaths candidate{given.cert.empty() ? numbered("cert") : given.cert,
                             given.chain.empty() ? numbered("chain") : given.chain,
                             given.fullchain.empty() ? numbered("fullchain") : given.fullchain};
    if ((!given.cert.empty() || is_free(candidate.cert)) &&
        (!given.chain.empty() || is_free(candidate.chain)) &&
        (!given.fullchain.empty() || is_free(candidate.fullchain)))
      return candidate;
  }
  throw UsageError(fmt::format("no free NNNN_cert.pem name left in {}: give --cert-path, "
                               "--chain-path and --fullchain-path",
                               base.string()));
}

std::vector<acme::Identifier> identifiers_of_csr(const crypto::CsrContents& csr) {
  std::vector<std::string> domains, addresses;
  if (!csr.common_name.empty())
    (is_ip_address(csr.common_name) ? addresses : domains).push_back(csr.common_name);
  domains.insert(domains.end(), csr.dns_names.begin(), csr.dns_names.end());
  addresses.insert(addresses.end(), csr.ip_addresses.begin(), csr.ip_addresses.end());
  std::vector<acme::Identifier> identifiers;
  try {
    identifiers = acme::make_identifiers(domains, addresses);
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("the CSR asks for {}", error.what()));
  }
  if (identifiers.empty())
    throw UsageError("the CSR names no domain or IP address: it needs a subjectAltName (or "
                     "common name) for each");
  return identifiers;
}

void check_command_line_names(const std::vector<acme::Identifier>& from_csr,
                              const std::vector<acme::Identifier>& from_command_line) {
  for (const auto& identifier : from_command_line)
    if (std::find(from_csr.begin(), from_csr.end(), identifier) == from_csr.end())
      throw UsageError(fmt::format("Inconsistent domain requests: from the CSR: {}; from the "
                                   "command line: {}",
                                   joined(from_csr), joined(from_command_line)));
}

CertonlyCsrResult run_certonly_csr(const CertonlyRequest& request, http::Transport& transport,
                                   util::Clock& clock) {
  crypto::CsrContents csr = read_csr_file(request.csr_path);
  std::vector<acme::Identifier> identifiers = identifiers_of_csr(csr);
  check_command_line_names(identifiers,
                           acme::make_identifiers(request.domains, request.ip_addresses));
  CsrOutputPaths paths;
  if (!request.dry_run)
    paths =
        choose_csr_output_paths(request.cert_path, request.chain_path, request.fullchain_path, ".");

  RunContext context(request.paths, transport, clock, request.account, request.issuance_timeout);
  store::RenewalParams params = certonly_renewal_params(request, std::nullopt);
  util::SystemProcessRunner process_runner; // --manual hooks
  std::vector<std::unique_ptr<challenge::Solver>> solvers =
      make_solvers(context, params, identifiers, process_runner);
  std::vector<challenge::Solver*> preferred_solvers;
  for (const auto& solver : solvers)
    preferred_solvers.push_back(solver.get());
  AccountClient account = context.client_for(request.server);
  IssuedCertificate issued = obtain_certificate(
      *account.client, account.thumbprint, identifiers, csr.der, preferred_solvers,
      OrderPreferences{"", request.preferred_chain, request.preferred_profile,
                       request.required_profile});
  if (!crypto::certificate_matches_csr(issued.cert_pem, csr))
    throw acme::ProtocolError("the certificate from the CA is not for the CSR's key");

  CertonlyCsrResult result;
  for (const auto& identifier : identifiers)
    result.names.push_back(identifier.value);
  result.not_after = crypto::read_certificate(issued.cert_pem).not_after;
  if (request.dry_run)
    return result;
  publish_csr_outputs(paths, issued, request.paths.work_dir);
  result.paths = paths;
  util::log_debug("--csr: {} requests to the CA", account.client->request_count());
  return result;
}

} // namespace certsmith::issuance
