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
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <system_error>
#include <unistd.h>

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

fs::path given_path(const std::string& flag, const std::string& path) {
  fs::path absolute = fs::absolute(path);
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

crypto::CsrContents read_csr_file(const std::string& path) {
  try {
    return crypto::read_csr(store::read_file(path, crypto::k_max_csr_bytes));
  } catch (const Error& error) { // StorageError or CryptoError: the user's file, a usage error
    throw UsageError(fmt::format("cannot use --csr {}: {}", path, error.what()));
  }
}

// Linked into place rather than renamed: link() fails when the name exists,
// so a file that appeared meanwhile is not overwritten (certbot opens with
// O_EXCL), and readers never see a half-written certificate.
void create_complete_file(const fs::path& path, const std::string& content) {
  fs::path temp = store::temp_sibling(path, "new");
  store::write_file_atomic(temp, content, 0644);
  int link_errno = ::link(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
  std::error_code ignored;
  fs::remove(temp, ignored);
  if (link_errno != 0)
    throw StorageError(
        fmt::format("{}: cannot create ({})", path.string(), std::strerror(link_errno)));
}

void write_outputs(const CsrOutputPaths& paths, const IssuedCertificate& issued) {
  const std::pair<const fs::path*, const std::string*> files[] = {
      {&paths.cert, &issued.cert_pem},
      {&paths.chain, &issued.chain_pem},
      {&paths.fullchain, &issued.fullchain_pem}};
  std::vector<fs::path> written;
  try {
    for (const auto& [path, content] : files) {
      create_complete_file(*path, *content);
      written.push_back(*path);
    }
    for (const auto& [path, content] : files)
      store::fsync_dir(path->parent_path());
  } catch (const Error&) {
    std::error_code ignored;
    for (const auto& path : written)
      fs::remove(path, ignored);
    throw;
  }
}

} // namespace

CsrOutputPaths choose_csr_output_paths(const std::string& cert_path, const std::string& chain_path,
                                       const std::string& fullchain_path,
                                       const fs::path& directory) {
  CsrOutputPaths paths;
  if (!cert_path.empty())
    paths.cert = given_path("--cert-path", cert_path);
  if (!chain_path.empty())
    paths.chain = given_path("--chain-path", chain_path);
  if (!fullchain_path.empty())
    paths.fullchain = given_path("--fullchain-path", fullchain_path);
  auto same = [](const fs::path& a, const fs::path& b) { return !a.empty() && a == b; };
  if (same(paths.cert, paths.chain) || same(paths.cert, paths.fullchain) ||
      same(paths.chain, paths.fullchain)) // one file cannot hold two
    throw UsageError("--cert-path, --chain-path and --fullchain-path must be different files");

  fs::path base = fs::absolute(directory);
  for (int counter = 0; counter <= 9999; ++counter) {
    auto numbered = [&](const char* stem) {
      return base / fmt::format("{:04d}_{}.pem", counter, stem);
    };
    CsrOutputPaths candidate{paths.cert.empty() ? numbered("cert") : paths.cert,
                             paths.chain.empty() ? numbered("chain") : paths.chain,
                             paths.fullchain.empty() ? numbered("fullchain") : paths.fullchain};
    if ((!paths.cert.empty() || !exists_at_all(candidate.cert)) &&
        (!paths.chain.empty() || !exists_at_all(candidate.chain)) &&
        (!paths.fullchain.empty() || !exists_at_all(candidate.fullchain)))
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
    paths = choose_csr_output_paths(request.cert_path, request.chain_path, request.fullchain_path,
                                    fs::current_path());

  RunContext context(request.paths, transport, clock, request.account);
  store::RenewalParams params = certonly_renewal_params(request, std::nullopt);
  std::unique_ptr<challenge::Solver> solver = make_solver(context, params, identifiers);
  AccountClient account = context.client_for(request.server);
  IssuedCertificate issued =
      obtain_certificate(*account.client, account.thumbprint, identifiers, csr.der, {solver.get()},
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
  write_outputs(paths, issued);
  result.paths = paths;
  util::log_debug("--csr: {} requests to the CA", account.client->request_count());
  return result;
}

} // namespace certsmith::issuance
