#include "issuance/certificates_json.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;
using nlohmann::json;

namespace {

const auto k_now = system_clock::from_time_t(1'800'000'000); // 2027-01-15 08:00:00 UTC

issuance::LineageSummary valid_lineage() {
  issuance::LineageSummary lineage;
  lineage.name = "example.com";
  lineage.dns_names = {"example.com", "www.example.com"};
  lineage.ip_addresses = {"192.0.2.10"};
  lineage.serial_hex = "fa11";
  lineage.key_type = "ECDSA";
  lineage.issuer = "CN=Pebble Intermediate CA 1,O=Pebble";
  lineage.not_before = k_now - hours(24);
  lineage.not_after = k_now + hours(24 * 89 + 5);
  lineage.cert_path = "/etc/letsencrypt/live/example.com/cert.pem";
  lineage.chain_path = "/etc/letsencrypt/live/example.com/chain.pem";
  lineage.fullchain_path = "/etc/letsencrypt/live/example.com/fullchain.pem";
  lineage.privkey_path = "/etc/letsencrypt/live/example.com/privkey.pem";
  lineage.renewal_conf_path = "/etc/letsencrypt/renewal/example.com.conf";
  store::RenewalParams params;
  params.authenticator = "webroot";
  params.server = "https://acme.test/dir";
  params.key_type = "ecdsa";
  params.webroot_map = {{"example.com", "/var/www"}};
  params.renew_before_expiry = "30 days";
  lineage.renewal = params;
  return lineage;
}

} // namespace

TEST_CASE("certificates --json: a valid lineage") {
  json doc = issuance::certificates_json({valid_lineage()}, k_now);
  CHECK(doc["schema_version"] == 1);
  REQUIRE(doc["certificates"].size() == 1);
  const json& entry = doc["certificates"][0];
  CHECK(entry["name"] == "example.com");
  CHECK(entry["status"] == "valid");
  CHECK(entry["problem"].is_null());
  CHECK(entry["domains"] == json{"example.com", "www.example.com"});
  CHECK(entry["ip_addresses"] == json{"192.0.2.10"});
  CHECK(entry["not_before"] == "2027-01-14T08:00:00Z");
  CHECK(entry["not_after"] == "2027-04-14T13:00:00Z");
  CHECK(entry["days_left"] == 89);
  CHECK(entry["serial"] == "fa11");
  CHECK(entry["key_type"] == "ECDSA");
  CHECK(entry["issuer"] == "CN=Pebble Intermediate CA 1,O=Pebble");
  CHECK(entry["paths"]["fullchain"] == "/etc/letsencrypt/live/example.com/fullchain.pem");
  CHECK(entry["paths"]["renewal_conf"] == "/etc/letsencrypt/renewal/example.com.conf");
  CHECK(entry["renewal"]["authenticator"] == "webroot");
  CHECK(entry["renewal"]["server"] == "https://acme.test/dir");
  CHECK(entry["renewal"]["renew_before_expiry"] == "30 days");
  CHECK(entry["renewal"]["webroot_map"] == json{{"example.com", "/var/www"}});
  CHECK(entry["renewal"]["rsa_key_size"].is_null());
  CHECK(entry["renewal"]["webroot_path"] == json::array());
  CHECK(entry["autorenew"] == true); // the conf does not say
}

TEST_CASE("certificates --json: autorenew is false only when the conf says False") {
  auto lineage = valid_lineage();
  lineage.renewal->autorenew = false; // --no-autorenew
  CHECK(issuance::certificates_json({lineage}, k_now)["certificates"][0]["autorenew"] == false);
  lineage.renewal->autorenew = true;
  CHECK(issuance::certificates_json({lineage}, k_now)["certificates"][0]["autorenew"] == true);
  lineage.renewal.reset(); // the conf could not be read: unknown
  CHECK(issuance::certificates_json({lineage}, k_now)["certificates"][0]["autorenew"].is_null());
}

TEST_CASE("certificates --json: days_left is negative once expired") {
  auto lineage = valid_lineage();
  lineage.not_after = k_now - hours(1);
  json entry = issuance::certificates_json({lineage}, k_now)["certificates"][0];
  CHECK(entry["status"] == "expired");
  CHECK(entry["days_left"] == -1);
  lineage.not_after = k_now + hours(23);
  entry = issuance::certificates_json({lineage}, k_now)["certificates"][0];
  CHECK(entry["status"] == "valid");
  CHECK(entry["days_left"] == 0);
}

TEST_CASE("certificates --json: an unreadable lineage keeps every key, null where unknown") {
  issuance::LineageSummary broken;
  broken.name = "broken.example.com";
  broken.renewal_conf_path = "/etc/letsencrypt/renewal/broken.example.com.conf";
  broken.problem = "certificate broken.example.com: cannot read";
  json entry = issuance::certificates_json({broken}, k_now)["certificates"][0];
  json good = issuance::certificates_json({valid_lineage()}, k_now)["certificates"][0];
  for (const auto& [key, value] : good.items())
    CHECK(entry.contains(key));
  CHECK(entry["status"] == "invalid");
  CHECK(entry["problem"] == "certificate broken.example.com: cannot read");
  CHECK(entry["domains"] == json::array());
  CHECK(entry["not_after"].is_null());
  CHECK(entry["days_left"].is_null());
  CHECK(entry["serial"].is_null());
  CHECK(entry["paths"]["cert"].is_null());
  CHECK(entry["paths"]["renewal_conf"] == "/etc/letsencrypt/renewal/broken.example.com.conf");
  CHECK(entry["renewal"].is_null());
  CHECK(entry["autorenew"].is_null());
  CHECK(entry["fix"].is_null());
  CHECK(good["fix"].is_null());

  broken.fix = "certsmith update_symlinks";
  CHECK(issuance::certificates_json({broken}, k_now)["certificates"][0]["fix"] ==
        "certsmith update_symlinks");
}

TEST_CASE("certificates --json: an empty tree") {
  CHECK(issuance::certificates_json({}, k_now) ==
        json{{"schema_version", 1}, {"certificates", json::array()}});
}
