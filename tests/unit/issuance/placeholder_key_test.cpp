// key_before_placeholder: with reuse_key, renewing away from a placeholder
// reuses the key of the CA's last certificate, never the placeholder's.
#include "crypto/private_key.hpp"
#include "crypto/self_signed.hpp"
#include "issuance/placeholder_key.hpp"
#include "store/lineage.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/temp_tree.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

struct Tree : testing::TempTree {
  Tree() : testing::TempTree("placeholder-key") {}
};

store::CertificateFiles ca_issued(const crypto::PrivateKey& key) {
  auto issuer_key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {"example.com"};
  spec.not_before = system_clock::now() - hours(24);
  spec.not_after = system_clock::now() + hours(24 * 60);
  std::string cert = crypto::test::make_certificate_pem(spec, key, issuer_key);
  return {cert, cert, cert + cert, key.to_pem()};
}

store::CertificateFiles self_signed(const crypto::PrivateKey& key) {
  crypto::SelfSignedRequest request;
  request.dns_names = {"example.com"};
  request.not_before = system_clock::now() - hours(1);
  request.not_after = system_clock::now() + hours(24 * 7);
  std::string cert = crypto::make_self_signed_certificate(key, request);
  return {cert, cert, cert, key.to_pem()};
}

store::RenewalParams params() {
  store::RenewalParams result;
  result.authenticator = "standalone";
  result.server = "https://ca.test/dir";
  return result;
}

} // namespace

TEST_CASE("placeholder key: a self-signed placeholder is skipped for the CA certificate's key") {
  Tree tree;
  auto pinned = crypto::PrivateKey::generate({});
  auto lineage = store::create_lineage(tree.paths, "example.com", ca_issued(pinned), params());
  store::save_successor(lineage, self_signed(crypto::PrivateKey::generate({})), params());

  auto key = issuance::key_before_placeholder(store::Lineage::load(tree.paths, "example.com"));
  REQUIRE(key);
  CHECK(key->public_key_der() == pinned.public_key_der());
}

TEST_CASE("placeholder key: a user fallback (CA-signed, live key) is skipped too") {
  Tree tree;
  auto pinned = crypto::PrivateKey::generate({});
  auto wildcard = crypto::PrivateKey::generate({});
  auto lineage = store::create_lineage(tree.paths, "example.com", ca_issued(pinned), params());
  store::save_successor(lineage, ca_issued(wildcard), params()); // the purchased wildcard

  auto key = issuance::key_before_placeholder(store::Lineage::load(tree.paths, "example.com"));
  REQUIRE(key);
  CHECK(key->public_key_der() == pinned.public_key_der());
}

TEST_CASE("placeholder key: none when only placeholders were ever stored") {
  Tree tree;
  store::create_lineage(tree.paths, "example.com", self_signed(crypto::PrivateKey::generate({})),
                        params());
  CHECK_FALSE(issuance::key_before_placeholder(store::Lineage::load(tree.paths, "example.com")));
}

TEST_CASE("placeholder key: an unreadable archive version is skipped, not fatal") {
  Tree tree;
  auto pinned = crypto::PrivateKey::generate({});
  auto lineage = store::create_lineage(tree.paths, "example.com", ca_issued(pinned), params());
  store::save_successor(lineage, self_signed(crypto::PrivateKey::generate({})), params());
  fs::resize_file(lineage.archive_dir() / "privkey1.pem", 10); // truncated

  CHECK_FALSE(issuance::key_before_placeholder(store::Lineage::load(tree.paths, "example.com")));
}
