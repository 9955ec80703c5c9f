#include "issuance/delete_certificate.hpp"
#include "renew/expiry_index.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "support/openssl_fixtures.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;

TEST_CASE("delete_certificate drops the lineage from the expiry index") {
  char pattern[] = "/tmp/certsmith-delete-XXXXXX";
  std::filesystem::path root = mkdtemp(pattern);
  auto paths = store::TreePaths::under(root);
  for (const std::string name : {"a.example.com", "b.example.com"}) {
    auto key = crypto::PrivateKey::generate({});
    crypto::test::CertificateSpec spec;
    spec.dns_names = {name};
    spec.not_before = system_clock::now();
    spec.not_after = spec.not_before + hours(24 * 90);
    std::string cert = crypto::test::make_certificate_pem(spec, key, key);
    store::RenewalParams params;
    params.authenticator = "standalone";
    store::create_lineage(paths, name, {cert, cert, cert + cert, key.to_pem()}, params);
  }
  std::filesystem::create_directories(paths.work_dir);
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
  for (const auto& name : store::Lineage::list_names(paths))
    index.facts_for(store::Lineage::load(paths, name));
  index.save();
  REQUIRE(renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths)).size() == 2);

  issuance::delete_certificate(paths, "a.example.com");
  CHECK(store::Lineage::list_names(paths) == std::vector<std::string>{"b.example.com"});
  CHECK(renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths)).size() == 1);
  CHECK_THROWS_AS(issuance::delete_certificate(paths, "a.example.com"), store::LineageNotFound);
  std::filesystem::remove_all(root);
}
