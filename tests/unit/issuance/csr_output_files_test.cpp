#include "issuance/csr_output_files.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <sys/stat.h>

using namespace certsmith;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "certsmith-csrout-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

std::string content_of(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A file system without hard links (vfat, SMB): link(2) answers EPERM.
int link_refused(const char*, const char*) {
  errno = EPERM;
  return -1;
}
int link_unsupported(const char*, const char*) {
  errno = EXDEV;
  return -1;
}
int link_io_error(const char*, const char*) {
  errno = EIO;
  return -1;
}

issuance::IssuedCertificate issued_certificate() {
  const crypto::PrivateKey key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {"example.com"};
  spec.serial_hex = "fa57";
  spec.not_before = std::chrono::system_clock::now();
  spec.not_after = spec.not_before + std::chrono::hours(24);
  issuance::IssuedCertificate issued;
  issued.cert_pem = crypto::test::make_certificate_pem(spec, key, key);
  issued.chain_pem = "CHAIN\n";
  issued.fullchain_pem = issued.cert_pem + issued.chain_pem;
  return issued;
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

} // namespace

TEST_CASE("a new file is created where hard links exist and where they do not", "[certonly]") {
  TempDir dir;
  issuance::create_new_file(dir.path / "linked.pem", "one", 0644);
  CHECK(content_of(dir.path / "linked.pem") == "one");
  for (issuance::LinkCall no_links : {&link_refused, &link_unsupported}) {
    fs::path path = dir.path / (no_links == &link_refused ? "eperm.pem" : "exdev.pem");
    issuance::create_new_file(path, "two", 0644, no_links);
    CHECK(content_of(path) == "two");
    CHECK((fs::status(path).permissions() & fs::perms::others_write) == fs::perms::none);
  }
  CHECK(entries_in(dir.path) == 3); // no temp file left behind
}

TEST_CASE("a new file never replaces what is there, with or without hard links", "[certonly]") {
  TempDir dir;
  std::ofstream(dir.path / "taken.pem") << "old";
  fs::create_symlink(dir.path / "target", dir.path / "planted.pem");
  for (issuance::LinkCall link_call : {issuance::LinkCall{nullptr}, &link_refused}) {
    CHECK_THROWS_AS(issuance::create_new_file(dir.path / "taken.pem", "new", 0644, link_call),
                    StorageError);
    CHECK(content_of(dir.path / "taken.pem") == "old");
    CHECK_THROWS_AS(issuance::create_new_file(dir.path / "planted.pem", "new", 0644, link_call),
                    StorageError);
    CHECK_FALSE(fs::exists(dir.path / "target"));
  }
  CHECK_THROWS_WITH(issuance::create_new_file(dir.path / "x.pem", "new", 0644, &link_io_error),
                    Catch::Contains("cannot create"));
  CHECK_FALSE(fs::exists(dir.path / "x.pem"));
  CHECK(entries_in(dir.path) == 2);
}

TEST_CASE("the three files are published without hard links", "[certonly]") {
  TempDir dir;
  const auto issued = issued_certificate();
  issuance::CsrOutputPaths paths{dir.path / "c.pem", dir.path / "ch.pem", dir.path / "f.pem"};
  issuance::publish_csr_outputs(paths, issued, dir.path / "work", &link_refused);
  CHECK(content_of(paths.cert) == issued.cert_pem);
  CHECK(content_of(paths.chain) == issued.chain_pem);
  CHECK(content_of(paths.fullchain) == issued.fullchain_pem);
}

TEST_CASE("a certificate that cannot be published is kept and named in the error", "[certonly]") {
  TempDir dir;
  fs::create_directory(dir.path / "work");
  const auto issued = issued_certificate();
  // Another program took the full chain's name after the paths were chosen.
  issuance::CsrOutputPaths paths{dir.path / "c.pem", dir.path / "ch.pem", dir.path / "f.pem"};
  std::ofstream(paths.fullchain) << "theirs";
  const fs::path kept = dir.path / "work" / "csr-fullchain-fa57.pem";
  CHECK_THROWS_WITH(issuance::publish_csr_outputs(paths, issued, dir.path / "work"),
                    Catch::Contains("f.pem: cannot create") &&
                        Catch::Contains("kept in " + kept.string()));
  CHECK(content_of(kept) == issued.fullchain_pem);
  CHECK_FALSE(fs::exists(paths.cert)); // the set is all or nothing
  CHECK_FALSE(fs::exists(paths.chain));
  CHECK(content_of(paths.fullchain) == "theirs");

  // Again: the kept name is taken, the next one is used.
  CHECK_THROWS_WITH(issuance::publish_csr_outputs(paths, issued, dir.path / "work"),
                    Catch::Contains("csr-fullchain-fa57-1.pem"));

  // Nowhere to keep it: it is printed, and the error says so.
  CHECK_THROWS_WITH(issuance::publish_csr_outputs(paths, issued, dir.path / "no-such-dir"),
                    Catch::Contains("printed above"));
}
