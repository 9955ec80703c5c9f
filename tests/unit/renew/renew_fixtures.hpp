#pragma once
// Test-only helpers for the renew tests: a private temporary tree and
// lineages whose certificates have chosen validity, serial and AKI.

#include "store/lineage.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::renew::test {

using TimePoint = std::chrono::system_clock::time_point;

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempTree {
public:
  TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree();
  const std::filesystem::path& root() const { return m_root; }
  store::TreePaths paths() const { return store::TreePaths::under(m_root); }

private:
  std::filesystem::path m_root;
};

struct CertSpec {
  std::vector<std::string> dns_names = {"example.com"};
  TimePoint not_before = TimePoint(std::chrono::seconds(1'800'000'000));
  TimePoint not_after = TimePoint(std::chrono::seconds(1'800'000'000 + 90 * 86400));
  std::string serial_hex = "0A1B2C";
  std::string authority_key_id = std::string("\x01\x02\x03\x04", 4);
};

/// Four PEM files for spec (a fresh P-256 key; chain = a throwaway issuer).
store::CertificateFiles make_files(const CertSpec& spec);

/// Whole file as text, and plain writes for setting up hostile files.
std::string slurp(const std::filesystem::path& path);
void spit(const std::filesystem::path& path, const std::string& text);

} // namespace certsmith::renew::test
