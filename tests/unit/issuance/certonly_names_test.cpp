#include "issuance/certonly.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace certsmith;
using acme::Identifier;

TEST_CASE("a lineage is named after its first domain or IPv4 address as given", "[certonly]") {
  CHECK(issuance::lineage_name_base({"dns", "example.com"}) == "example.com");
  CHECK(issuance::lineage_name_base({"dns", "*.example.com"}) ==
        "*.example.com"); // choose_lineage_name drops "*."
  CHECK(issuance::lineage_name_base({"ip", "192.0.2.10"}) == "192.0.2.10");
}

TEST_CASE("an IPv6 lineage name has no ':' and never starts with '-'", "[certonly]") {
  CHECK(issuance::lineage_name_base({"ip", "2001:db8::1"}) == "2001-db8--1");
  CHECK(issuance::lineage_name_base({"ip", "::1"}) == "0--1");
  CHECK(issuance::lineage_name_base({"ip", "::"}) == "0--");
  CHECK(issuance::lineage_name_base({"ip", "fe80::"}) == "fe80--");
  CHECK(issuance::lineage_name_base({"ip", "::ffff:192.0.2.1"}) == "0--ffff-192.0.2.1");
  CHECK(issuance::lineage_name_base({"ip", "2001:db8:1:2:3:4:5:6"}) == "2001-db8-1-2-3-4-5-6");
}

TEST_CASE("distinct canonical IPv6 addresses get distinct lineage names", "[certonly]") {
  // inet_ntop never writes "0::" (a leading zero group joins the "::" run), so
  // the "0--" spelling of a leading "::" cannot meet another address's name.
  const std::vector<std::string> addresses = {"::1", "0:1::1", "1::", "::1:0:0:0:1", "1::1", "::"};
  std::set<std::string> names;
  for (const auto& address : addresses)
    names.insert(issuance::lineage_name_base({"ip", address}));
  CHECK(names.size() == addresses.size());
}

namespace {

issuance::CertonlyRequest ecdsa_request() {
  issuance::CertonlyRequest request;
  request.authenticator = "standalone";
  request.server = "https://ca.example/dir";
  request.key =
      issuance::key_request_of("ecdsa", 2048, "secp384r1", true, true, true, false, false);
  return request;
}

store::RenewalParams rsa_lineage() {
  store::RenewalParams params;
  params.key_type = "rsa";
  params.rsa_key_size = 4096;
  params.reuse_key = true;
  params.renew_hook = "systemctl reload nginx";
  return params;
}

} // namespace

TEST_CASE("certonly records the key settings given", "[certonly]") {
  auto params = issuance::certonly_renewal_params(ecdsa_request(), rsa_lineage());
  CHECK(params.key_type == "ecdsa");
  CHECK(params.elliptic_curve == "secp384r1");
  CHECK_FALSE(params.rsa_key_size);
  CHECK(params.renew_hook == "systemctl reload nginx"); // earlier settings survive
}

TEST_CASE("without key flags an existing lineage keeps its key settings", "[certonly]") {
  auto request = ecdsa_request();
  request.key.key_type_given = request.key.rsa_key_size_given = request.key.elliptic_curve_given =
      false;
  auto params = issuance::certonly_renewal_params(request, rsa_lineage());
  CHECK(params.key_type == "rsa");
  CHECK(params.rsa_key_size == 4096);
  CHECK(params.elliptic_curve.empty());

  auto fresh =
      issuance::certonly_renewal_params(request, std::nullopt); // a new lineage: the defaults
  CHECK(fresh.key_type == "ecdsa");
  CHECK(fresh.elliptic_curve == "secp384r1");
}

TEST_CASE("reuse-key records reuse_key, new-key removes it, neither keeps it", "[certonly]") {
  auto request = ecdsa_request();
  store::RenewalParams without;
  request.key.reuse_key = true;
  CHECK(issuance::certonly_renewal_params(request, without).reuse_key == true);
  request.key.new_key = true; // both: a new key now, reused from then on
  CHECK(issuance::certonly_renewal_params(request, without).reuse_key == true);
  request.key.reuse_key = false;
  CHECK_FALSE(issuance::certonly_renewal_params(request, rsa_lineage()).reuse_key);
  request.key.new_key = false;
  CHECK(issuance::certonly_renewal_params(request, rsa_lineage()).reuse_key == true);
  CHECK_FALSE(issuance::certonly_renewal_params(request, without).reuse_key);
}

TEST_CASE("only the key flags given change an existing lineage's key", "[certonly]") {
  auto request = ecdsa_request();
  request.key.key_type_given = request.key.elliptic_curve_given = false;
  request.key.spec.rsa_bits = 3072; // --rsa-key-size 3072 alone: the RSA lineage stays RSA
  auto resized = issuance::key_spec_for(request.key, rsa_lineage());
  CHECK(resized.algorithm == crypto::KeyAlgorithm::rsa);
  CHECK(resized.rsa_bits == 3072);

  request.key.rsa_key_size_given = false;
  request.key.key_type_given = true; // --key-type ecdsa: the type and its curve change together
  auto switched = issuance::key_spec_for(request.key, rsa_lineage());
  CHECK(switched.algorithm == crypto::KeyAlgorithm::ecdsa);
  CHECK(switched.curve == "secp384r1");

  store::RenewalParams p256;
  p256.key_type = "ecdsa";
  p256.elliptic_curve = "secp256r1";
  request.key.key_type_given = false;
  request.key.elliptic_curve_given = true; // --elliptic-curve alone on an ECDSA lineage
  CHECK(issuance::key_spec_for(request.key, p256).curve == "secp384r1");
  request.key.elliptic_curve_given = false;
  CHECK(issuance::key_spec_for(request.key, p256).curve == "secp256r1");
}
