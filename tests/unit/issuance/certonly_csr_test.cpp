#include "issuance/certonly_csr.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <stdlib.h>

using namespace certsmith;
using acme::Identifier;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "certsmith-csr-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  void touch(const std::string& name) const { std::ofstream(path / name) << "x"; }
  fs::path path;
};

crypto::CsrContents csr_with(std::string common_name, std::vector<std::string> dns_names,
                             std::vector<std::string> ip_addresses = {}) {
  crypto::CsrContents csr;
  csr.common_name = std::move(common_name);
  csr.dns_names = std::move(dns_names);
  csr.ip_addresses = std::move(ip_addresses);
  return csr;
}

} // namespace

TEST_CASE("a CSR's identifiers: CN, then SAN DNS names, then IP addresses, once each",
          "[certonly]") {
  auto identifiers = issuance::identifiers_of_csr(
      csr_with("Example.COM", {"example.com", "www.example.com"}, {"192.0.2.1", "2001:db8:0::1"}));
  CHECK(identifiers == std::vector<Identifier>{{"dns", "example.com"},
                                               {"dns", "www.example.com"},
                                               {"ip", "192.0.2.1"},
                                               {"ip", "2001:db8::1"}});
  CHECK(issuance::identifiers_of_csr(csr_with("192.0.2.7", {})) ==
        std::vector<Identifier>{{"ip", "192.0.2.7"}});
  CHECK(issuance::identifiers_of_csr(csr_with("", {"*.example.com"})) ==
        std::vector<Identifier>{{"dns", "*.example.com"}});
}

TEST_CASE("a CSR without names or with a name that is no domain is refused", "[certonly]") {
  CHECK_THROWS_WITH(issuance::identifiers_of_csr(csr_with("", {})),
                    Catch::Contains("names no domain or IP address"));
  CHECK_THROWS_AS(issuance::identifiers_of_csr(csr_with("localhost", {})), UsageError);
  CHECK_THROWS_AS(issuance::identifiers_of_csr(csr_with("", {"a..example.com"})), UsageError);
  CHECK_THROWS_AS(issuance::identifiers_of_csr(csr_with("", {"a.*.example.com"})), UsageError);
}

TEST_CASE("domains given with a CSR may only name what the CSR holds", "[certonly]") {
  const std::vector<Identifier> from_csr{{"dns", "a.example.com"}, {"dns", "b.example.com"}};
  CHECK_NOTHROW(issuance::check_command_line_names(from_csr, {}));
  CHECK_NOTHROW(issuance::check_command_line_names(from_csr, {{"dns", "b.example.com"}}));
  CHECK_THROWS_WITH(issuance::check_command_line_names(from_csr, {{"dns", "c.example.com"}}),
                    Catch::Contains("Inconsistent domain requests"));
  CHECK_THROWS_AS(issuance::check_command_line_names(from_csr, {{"ip", "192.0.2.1"}}), UsageError);
}

TEST_CASE("default output paths take the first number none of the three uses", "[certonly]") {
  TempDir dir;
  auto first = issuance::choose_csr_output_paths("", "", "", dir.path);
  CHECK(first.cert == dir.path / "0000_cert.pem");
  CHECK(first.chain == dir.path / "0000_chain.pem");
  CHECK(first.fullchain == dir.path / "0000_fullchain.pem");

  dir.touch("0000_chain.pem"); // any one of the trio taken moves all three on
  dir.touch("0001_fullchain.pem");
  auto next = issuance::choose_csr_output_paths("", "", "", dir.path);
  CHECK(next.cert == dir.path / "0002_cert.pem");
  CHECK(next.fullchain == dir.path / "0002_fullchain.pem");
}

TEST_CASE("given output paths are used as they are and never overwritten", "[certonly]") {
  TempDir dir;
  auto paths = issuance::choose_csr_output_paths((dir.path / "c.pem").string(), "", "", dir.path);
  CHECK(paths.cert == dir.path / "c.pem");
  CHECK(paths.chain == dir.path / "0000_chain.pem");

  dir.touch("c.pem");
  CHECK_THROWS_WITH(
      issuance::choose_csr_output_paths((dir.path / "c.pem").string(), "", "", dir.path),
      Catch::Contains("already exists"));
  CHECK_THROWS_WITH(
      issuance::choose_csr_output_paths("", (dir.path / "no/such/x.pem").string(), "", dir.path),
      Catch::Contains("no such directory"));
  CHECK_THROWS_AS(issuance::choose_csr_output_paths((dir.path / "same.pem").string(),
                                                    (dir.path / "same.pem").string(), "", dir.path),
                  UsageError);
  fs::create_symlink("/nonexistent/target", dir.path / "dangling.pem");
  CHECK_THROWS_AS(
      issuance::choose_csr_output_paths((dir.path / "dangling.pem").string(), "", "", dir.path),
      UsageError);
}

TEST_CASE("a CSR whose common name is an IPv6 address asks for that address", "[certonly]") {
  CHECK(issuance::identifiers_of_csr(csr_with("2001:DB8::1", {}, {"2001:db8::1"})) ==
        std::vector<Identifier>{{"ip", "2001:db8::1"}});
}

TEST_CASE("a given path that is a default name moves the defaults on", "[certonly]") {
  TempDir dir;
  auto paths =
      issuance::choose_csr_output_paths("", (dir.path / "0000_cert.pem").string(), "", dir.path);
  CHECK(paths.chain == dir.path / "0000_cert.pem");
  CHECK(paths.cert == dir.path / "0001_cert.pem");
  CHECK(paths.fullchain == dir.path / "0001_fullchain.pem");
}

TEST_CASE("two spellings of one output file are refused before anything is ordered", "[certonly]") {
  TempDir dir;
  fs::create_directory(dir.path / "sub");
  fs::create_directory_symlink(dir.path, dir.path / "alias");
  const std::string a = (dir.path / "a.pem").string();
  for (const fs::path& other : {dir.path / "sub" / ".." / "a.pem", dir.path / "." / "a.pem",
                                dir.path / "alias" / "a.pem"}) {
    INFO(other);
    CHECK_THROWS_WITH(issuance::choose_csr_output_paths(a, "", other.string(), dir.path),
                      Catch::Contains("must be different files"));
  }
}

TEST_CASE("a deleted current directory is a usage error, not an internal one", "[certonly]") {
  const fs::path before = fs::current_path();
  TempDir dir;
  TempDir gone;
  fs::current_path(gone.path);
  fs::remove(gone.path);
  CHECK_THROWS_WITH(issuance::choose_csr_output_paths("", "", "", "."),
                    Catch::Contains("current directory cannot be read"));
  CHECK_THROWS_AS(issuance::choose_csr_output_paths("cert.pem", "", "", "."), UsageError);
  // Absolute paths for all three need no current directory.
  auto paths = issuance::choose_csr_output_paths((dir.path / "c.pem").string(),
                                                 (dir.path / "ch.pem").string(),
                                                 (dir.path / "f.pem").string(), ".");
  CHECK(paths.fullchain == dir.path / "f.pem");
  fs::current_path(before);
}
