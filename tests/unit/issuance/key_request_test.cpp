#include "issuance/issue_lineage.hpp"
#include "issuance/key_request.hpp"
#include "store/lineage.hpp"
#include "support/openssl_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

using namespace certsmith;
using crypto::KeyAlgorithm;
using crypto::KeySpec;

namespace {

issuance::KeyRequest flags(bool reuse_key, bool new_key) {
  return issuance::key_request_of("ecdsa", 2048, "secp256r1", false, false, false, reuse_key,
                                  new_key);
}

std::string conflict_of(const KeySpec& current, const KeySpec& wanted) {
  try {
    issuance::check_reuse_key_conflict(true, false, current, wanted);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

} // namespace

TEST_CASE("reuse-key and new-key: both reuse from now on with a new key now", "[key_request]") {
  CHECK(flags(true, true).reuse_key_setting() == true);
  CHECK(flags(true, true).new_key);
  CHECK(flags(true, false).reuse_key_setting() == true);
  CHECK(flags(false, true).reuse_key_setting() == false);
  CHECK_FALSE(flags(false, false).reuse_key_setting());
}

TEST_CASE("key flags: only rsa and ecdsa are key types", "[key_request]") {
  CHECK_THROWS_AS(issuance::key_request_of("dsa", 2048, "", true, false, false, false, false),
                  UsageError);
  CHECK_THROWS_AS(issuance::key_request_of("", 2048, "", true, false, false, false, false),
                  UsageError);
  auto rsa = issuance::key_request_of("rsa", 4096, "secp256r1", true, true, false, false, false);
  CHECK(rsa.spec.algorithm == KeyAlgorithm::rsa);
  CHECK(rsa.spec.rsa_bits == 4096);
  CHECK(rsa.key_settings_given());
  CHECK_FALSE(flags(true, true).key_settings_given());
}

TEST_CASE("same key kind compares the size or curve its algorithm uses", "[key_request]") {
  CHECK(issuance::same_key_kind({KeyAlgorithm::rsa, "", 2048}, {KeyAlgorithm::rsa, "x", 2048}));
  CHECK_FALSE(
      issuance::same_key_kind({KeyAlgorithm::rsa, "", 2048}, {KeyAlgorithm::rsa, "", 4096}));
  CHECK(issuance::same_key_kind({KeyAlgorithm::ecdsa, "secp384r1", 0},
                                {KeyAlgorithm::ecdsa, "secp384r1", 2048}));
  CHECK_FALSE(issuance::same_key_kind({KeyAlgorithm::ecdsa, "secp256r1", 2048},
                                      {KeyAlgorithm::ecdsa, "secp384r1", 2048}));
  CHECK_FALSE(issuance::same_key_kind({KeyAlgorithm::ecdsa, "secp256r1", 2048},
                                      {KeyAlgorithm::rsa, "secp256r1", 2048}));
}

TEST_CASE("a reused key refuses another type, size or curve, naming the flag", "[key_request]") {
  KeySpec rsa2048{KeyAlgorithm::rsa, "", 2048};
  KeySpec p256{KeyAlgorithm::ecdsa, "secp256r1", 0};
  CHECK_THAT(conflict_of(rsa2048, p256), Catch::Contains("--key-type"));
  CHECK_THAT(conflict_of(rsa2048, {KeyAlgorithm::rsa, "", 4096}),
             Catch::Contains("--rsa-key-size"));
  CHECK_THAT(conflict_of(p256, {KeyAlgorithm::ecdsa, "secp384r1", 0}),
             Catch::Contains("--elliptic-curve"));
  CHECK(conflict_of(rsa2048, {KeyAlgorithm::rsa, "secp384r1", 2048}).empty());
  // --new-key, or a lineage that does not reuse its key: no conflict.
  CHECK_NOTHROW(issuance::check_reuse_key_conflict(true, true, rsa2048, p256));
  CHECK_NOTHROW(issuance::check_reuse_key_conflict(false, false, rsa2048, p256));
}

TEST_CASE("a reused key is kept only while it is the size and curve the conf asks for",
          "[key_request]") {
  char pattern[] = "/tmp/certsmith-keyfor-XXXXXX";
  std::filesystem::path root = mkdtemp(pattern);
  auto paths = store::TreePaths::under(root);
  auto key = crypto::PrivateKey::generate({KeyAlgorithm::ecdsa, "secp256r1", 0});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {"a.example.com"};
  spec.not_before = std::chrono::system_clock::now();
  spec.not_after = spec.not_before + std::chrono::hours(24 * 90);
  std::string cert = crypto::test::make_certificate_pem(spec, key, key);
  store::RenewalParams params;
  params.authenticator = "standalone";
  params.key_type = "ecdsa";
  params.elliptic_curve = "secp256r1";
  params.reuse_key = true;
  store::Lineage lineage = store::create_lineage(paths, "a.example.com",
                                                 {cert, cert, cert + cert, key.to_pem()}, params);

  issuance::IssueRequest request;
  request.existing = &lineage;
  request.params = params;
  CHECK(issuance::key_for(request).public_key_der() == key.public_key_der());

  request.params.elliptic_curve = "secp384r1"; // same algorithm, another curve
  auto resized = issuance::key_for(request);
  CHECK(resized.public_key_der() != key.public_key_der());
  CHECK(resized.spec().curve == "secp384r1");

  request.params.elliptic_curve = "secp256r1";
  request.new_key = true; // --reuse-key --new-key: a fresh key this time
  CHECK(issuance::key_for(request).public_key_der() != key.public_key_der());
  std::filesystem::remove_all(root);
}
