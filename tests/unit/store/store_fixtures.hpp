#pragma once
// Test-only helpers for the store tests: a private temporary tree and
// self-signed certificates made directly with OpenSSL.

#include "store/lineage.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace certsmith::store::test {

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempTree {
public:
  TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree();
  const std::filesystem::path& root() const { return m_root; }
  /// config/, work/, logs/ under root().
  TreePaths paths() const { return TreePaths::under(m_root); }

private:
  std::filesystem::path m_root;
};

/// Four PEM files for `common_name`: a fresh P-256 key, a cert for it issued by
/// a throwaway self-signed "issuer" cert (the chain), fullchain = cert + chain.
CertificateFiles make_certificate_files(const std::string& common_name);

/// Renewal parameters of a plain standalone lineage on a local test server.
RenewalParams standalone_params(const std::string& key_type = "");

/// A lineage `name` at version `versions` (the older ones still in the archive), each version
/// with fresh files, as certsmith writes it; loaded back from disk as check_lineage reads it.
Lineage lineage_with_versions(const TreePaths& paths, const std::string& name, int versions);

/// Permission bits of `path` (symlinks followed).
mode_t mode_of(const std::filesystem::path& path);

/// Whole file as text (test helper; no size cap).
std::string slurp(const std::filesystem::path& path);

/// Write `text` to `path` (plain, for setting up hostile trees).
void spit(const std::filesystem::path& path, const std::string& text);

} // namespace certsmith::store::test
