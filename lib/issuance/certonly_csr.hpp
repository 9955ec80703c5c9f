#pragma once
// `certonly --csr FILE`: obtain a certificate for a CSR the user made, and
// write it, its chain and the full chain to plain files as certbot does. No
// lineage, no renewal conf and no private key: certsmith never saw the key.

#include "acme/identifier.hpp"
#include "crypto/csr.hpp"
#include "http/transport.hpp"
#include "issuance/certonly.hpp"
#include "issuance/csr_output_files.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// Where the certificate goes, by certbot's rule: a path given (--cert-path,
/// --chain-path, --fullchain-path) is used as it is and must not exist yet
/// (never overwritten); the others are NNNN_cert.pem, NNNN_chain.pem and
/// NNNN_fullchain.pem in `directory` (relative: to the current directory),
/// with the first NNNN from 0000 that none of them uses and no given path is.
/// Decided before anything is ordered, so all three final paths are checked
/// against each other: same directory and name, symlinked directories seen
/// through. Throws UsageError for a given path that exists or whose directory
/// does not, for two paths naming one file, and when the current directory is
/// needed but gone.
CsrOutputPaths choose_csr_output_paths(const std::string& cert_path, const std::string& chain_path,
                                       const std::string& fullchain_path,
                                       const std::filesystem::path& directory);

/// The identifiers a CSR asks for, as certbot reads them: the subject CN, then
/// the subjectAltName DNS names and IP addresses, normalized, duplicates
/// dropped. Throws UsageError for a name that is not a valid domain or
/// address, or when there is none.
std::vector<acme::Identifier> identifiers_of_csr(const crypto::CsrContents& csr);

/// certbot: -d/--ip-address given with --csr must name only what the CSR
/// holds. Throws UsageError listing both sets otherwise.
void check_command_line_names(const std::vector<acme::Identifier>& from_csr,
                              const std::vector<acme::Identifier>& from_command_line);

struct CertonlyCsrResult {
  std::vector<std::string> names;
  CsrOutputPaths paths; // empty on a dry run
  std::chrono::system_clock::time_point not_after;
};

/// Run certonly --csr (request.csr_path, the output paths, the authenticator,
/// server, account and order preferences of request; relative default paths
/// in the current directory). The files appear complete or not at all, mode
/// 0644. Throws UsageError for an unreadable or hostile CSR file (before
/// anything is sent), the errors of obtain_certificate, ProtocolError when the
/// certificate is not for the CSR's key, StorageError when a file cannot be
/// written (those already written are removed, and the certificate is kept in
/// request.paths.work_dir as publish_csr_outputs says).
CertonlyCsrResult run_certonly_csr(const CertonlyRequest& request, http::Transport& transport,
                                   util::Clock& clock);

} // namespace certsmith::issuance
