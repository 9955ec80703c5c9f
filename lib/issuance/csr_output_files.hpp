#pragma once
// Publishing the three files of `certonly --csr` (certbot's --cert-path,
// --chain-path, --fullchain-path): never over an existing file, on any file
// system the user points at, and never losing a certificate the CA issued.

#include "issuance/obtain.hpp"

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace certsmith::issuance {

struct CsrOutputPaths {
  std::filesystem::path cert, chain, fullchain;
};

/// link(2)'s signature: the seam through which tests play a file system
/// without hard links.
using LinkCall = int (*)(const char* existing, const char* new_name);

/// Create the file `path` holding `content` with `mode` (less when the file
/// system cannot store it), failing when anything exists at `path`. Written
/// beside it, fsynced and hard-linked into place, so readers never see it half
/// written; where hard links do not exist (vfat, SMB, some FUSE/NFS: link
/// fails with EPERM, ENOTSUP or EXDEV) created with O_CREAT|O_EXCL|O_NOFOLLOW,
/// written and fsynced instead, and removed again if that fails. Throws
/// StorageError "PATH: cannot create (reason)".
void create_new_file(const std::filesystem::path& path, std::string_view content, mode_t mode,
                     LinkCall link_call = nullptr);

/// Create the three files of `issued` at `paths` (mode 0644, each with
/// create_new_file). When one cannot be created, those already created are
/// removed and the full chain is kept in `rescue_dir` as
/// csr-fullchain-SERIAL.pem (or, failing that, printed to stderr); the
/// StorageError thrown names where it is.
void publish_csr_outputs(const CsrOutputPaths& paths, const IssuedCertificate& issued,
                         const std::filesystem::path& rescue_dir, LinkCall link_call = nullptr);

} // namespace certsmith::issuance
