// Renewal confs written by certbot itself (storage.write_renewal_config of the
// Debian certbot 2.1 package, with `version` set to the release that wrote it):
// certsmith must read what certbot meant, and leave the bytes alone.
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::StorageError;
using certsmith::store::ConfigObj;
using certsmith::store::read_renewal_params;
using certsmith::store::RenewalParams;
using certsmith::store::write_renewal_params;

namespace {

const std::string k_certbot_webroot = R"CONF(# renew_before_expiry = 30 days
version = 1.21.0
archive_dir = /etc/letsencrypt/archive/webroot.example
cert = /etc/letsencrypt/live/webroot.example/cert.pem
privkey = /etc/letsencrypt/live/webroot.example/privkey.pem
chain = /etc/letsencrypt/live/webroot.example/chain.pem
fullchain = /etc/letsencrypt/live/webroot.example/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0a1b2c3d4e5f60718293a4b5c6d7e8f9
authenticator = webroot
installer = None
webroot_path = /var/www/example, /var/www/other
server = https://acme-v02.api.letsencrypt.org/directory
key_type = rsa
rsa_key_size = 4096
manual_public_ip_logging_ok = None
[[webroot_map]]
example.org = /var/www/example
www.example.org = /var/www/example
other.example.org = /var/www/other
)CONF";

const std::string k_certbot_manual = R"CONF(# renew_before_expiry = 30 days
version = 1.32.2
archive_dir = /etc/letsencrypt/archive/manual.example
cert = /etc/letsencrypt/live/manual.example/cert.pem
privkey = /etc/letsencrypt/live/manual.example/privkey.pem
chain = /etc/letsencrypt/live/manual.example/chain.pem
fullchain = /etc/letsencrypt/live/manual.example/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0a1b2c3d4e5f60718293a4b5c6d7e8f9
authenticator = manual
server = https://acme-v02.api.letsencrypt.org/directory
manual_auth_hook = "/usr/local/bin/auth.sh --zone 'example.org'"
manual_cleanup_hook = /usr/local/bin/cleanup.sh
pref_challs = dns-01,
key_type = ecdsa
elliptic_curve = secp384r1
pre_hook = systemctl stop nginx
post_hook = systemctl start nginx
renew_hook = 'echo "deployed $RENEWED_LINEAGE", done # really'
reuse_key = True
must_staple = False
autorenew = False
http01_port = None
)CONF";

const std::string k_certbot_rfc2136 = R"CONF(# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/rfc2136.example
cert = /etc/letsencrypt/live/rfc2136.example/cert.pem
privkey = /etc/letsencrypt/live/rfc2136.example/privkey.pem
chain = /etc/letsencrypt/live/rfc2136.example/chain.pem
fullchain = /etc/letsencrypt/live/rfc2136.example/fullchain.pem
renew_before_expiry = 2 weeks

# Options used in the renewal process
[renewalparams]
account = 0a1b2c3d4e5f60718293a4b5c6d7e8f9
authenticator = dns-rfc2136
server = https://acme-staging-v02.api.letsencrypt.org/directory
dns_rfc2136_credentials = /etc/letsencrypt/rfc2136 secrets.ini
dns_rfc2136_propagation_seconds = 30
pref_challs = dns-01, http-01
key_type = ecdsa
preferred_chain = ISRG Root X1
[acme_renewal_info]
ari_retry_after = 2026-11-23T17:05:09
)CONF";

// Parse, read the params, write the same params back: not one byte changes.
std::string round_trip(const std::string& text) {
  auto conf = ConfigObj::parse(text, "renewal/x.conf");
  write_renewal_params(conf, read_renewal_params(conf));
  return conf.to_string();
}

} // namespace

TEST_CASE("certbot confs: a read-then-write round trip is byte for byte", "[store][renewal]") {
  CHECK(round_trip(k_certbot_webroot) == k_certbot_webroot);
  CHECK(round_trip(k_certbot_manual) == k_certbot_manual);
  CHECK(round_trip(k_certbot_rfc2136) == k_certbot_rfc2136);
}

TEST_CASE("certbot 1.21 webroot conf: webroot_map, a webroot_path list, None values",
          "[store][renewal]") {
  auto conf = ConfigObj::parse(k_certbot_webroot, "renewal/webroot.example.conf");
  auto params = read_renewal_params(conf);
  CHECK(params.authenticator == "webroot");
  CHECK(params.installer.empty()); // "None" is Python's None (certbot's _restore_str)
  CHECK(params.webroot_path == std::vector<std::string>{"/var/www/example", "/var/www/other"});
  CHECK(params.webroot_map ==
        std::map<std::string, std::string>{{"example.org", "/var/www/example"},
                                           {"www.example.org", "/var/www/example"},
                                           {"other.example.org", "/var/www/other"}});
  CHECK(params.key_type == "rsa");
  CHECK(params.rsa_key_size == 4096);
  CHECK_FALSE(params.renew_before_expiry);
  // A key certsmith does not know is kept as it is.
  CHECK(conf.root().section("renewalparams")->get("manual_public_ip_logging_ok") == "None");
}

TEST_CASE("certbot 1.32 manual conf: hooks with quotes, pref_challs of one, booleans",
          "[store][renewal]") {
  auto params = read_renewal_params(ConfigObj::parse(k_certbot_manual, "x"));
  CHECK(params.authenticator == "manual");
  CHECK(params.manual_auth_hook == "/usr/local/bin/auth.sh --zone 'example.org'");
  CHECK(params.manual_cleanup_hook == "/usr/local/bin/cleanup.sh");
  CHECK(params.pref_challs == std::vector<std::string>{"dns-01"}); // `dns-01,`
  CHECK(params.key_type == "ecdsa");
  CHECK(params.elliptic_curve == "secp384r1");
  CHECK(params.pre_hook == "systemctl stop nginx");
  CHECK(params.post_hook == "systemctl start nginx");
  // certbot's deploy hook is saved under its old name, renew_hook.
  CHECK(params.renew_hook == "echo \"deployed $RENEWED_LINEAGE\", done # really");
  CHECK(params.reuse_key == true);
  CHECK(params.must_staple == false);
  CHECK(params.autorenew == false);
  CHECK_FALSE(params.http01_port); // legacy "None": certbot uses its default port
}

TEST_CASE("certbot 2.1 dns-rfc2136 conf: credentials, a two-item list, ARI section",
          "[store][renewal]") {
  auto conf = ConfigObj::parse(k_certbot_rfc2136, "x");
  auto params = read_renewal_params(conf);
  CHECK(params.authenticator == "dns-rfc2136");
  CHECK(params.server == "https://acme-staging-v02.api.letsencrypt.org/directory");
  CHECK(params.dns_rfc2136_credentials == "/etc/letsencrypt/rfc2136 secrets.ini");
  CHECK(params.dns_rfc2136_propagation_seconds == 30);
  CHECK(params.pref_challs == std::vector<std::string>{"dns-01", "http-01"});
  CHECK(params.preferred_chain == "ISRG Root X1");
  CHECK(params.renew_before_expiry == "2 weeks");
  CHECK(conf.root().section("acme_renewal_info")->get("ari_retry_after") == "2026-11-23T17:05:09");
}

TEST_CASE("certbot confs: changed params rewrite only their lines, in configobj's spelling",
          "[store][renewal]") {
  auto conf = ConfigObj::parse(k_certbot_manual, "x");
  auto params = read_renewal_params(conf);
  params.renew_hook = "systemctl reload nginx";
  params.autorenew = true;
  params.http01_port = 8080;
  write_renewal_params(conf, params);
  std::string expected = k_certbot_manual;
  auto swap = [&](const std::string& from, const std::string& to) {
    REQUIRE(expected.find(from) != std::string::npos);
    expected.replace(expected.find(from), from.size(), to);
  };
  swap("renew_hook = 'echo \"deployed $RENEWED_LINEAGE\", done # really'",
       "renew_hook = systemctl reload nginx");
  swap("autorenew = False", "autorenew = True");
  swap("http01_port = None", "http01_port = 8080");
  CHECK(conf.to_string() == expected);

  // Clearing a value certbot wrote as None leaves that None alone.
  auto webroot = ConfigObj::parse(k_certbot_webroot, "x");
  auto webroot_params = read_renewal_params(webroot);
  webroot_params.installer.clear();
  write_renewal_params(webroot, webroot_params);
  CHECK(webroot.to_string() == k_certbot_webroot);
}

TEST_CASE("renewal params: autorenew is read and written as certbot's --no-autorenew saves it",
          "[store][renewal]") {
  auto conf = ConfigObj::parse("[renewalparams]\nautorenew = false\n", "x");
  CHECK(read_renewal_params(conf).autorenew == false);
  auto params = read_renewal_params(conf);
  write_renewal_params(conf, params);
  CHECK(conf.root().section("renewalparams")->get("autorenew") == "false"); // spelling kept
  params.autorenew = std::nullopt;
  write_renewal_params(conf, params);
  CHECK_FALSE(conf.root().section("renewalparams")->has("autorenew"));
  params.autorenew = false;
  write_renewal_params(conf, params);
  CHECK(conf.root().section("renewalparams")->get("autorenew") == "False");
  CHECK_THROWS_WITH(
      read_renewal_params(ConfigObj::parse("[renewalparams]\nautorenew = yes\n", "renewal/a.conf")),
      "renewal/a.conf: autorenew must be True or False, not 'yes'");
}

// `version` decides nothing in certbot but a log line: a conf newer than the
// running certbot is read with "This might not work". So certsmith never
// raises it: a conf keeps the version of the certbot that wrote it, and a
// new lineage says 2.1.0, the oldest certbot the round-trip tests run (the
// Debian package), which certbot 2.1 and later read without a remark.
TEST_CASE("certbot confs: version stays what certbot wrote; new lineages say 2.1.0",
          "[store][renewal]") {
  using namespace certsmith::store;
  test::TempTree tree;
  auto paths = tree.paths();
  RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://acme-v02.api.letsencrypt.org/directory";
  params.key_type = "rsa";
  auto lineage =
      create_lineage(paths, "example.org", test::make_certificate_files("example.org"), params);
  auto conf_text = [&] { return test::slurp(paths.renewal_conf("example.org")); };
  CHECK_THAT(conf_text(), Catch::Contains("\nversion = 2.1.0\n"));

  // As certbot 1.21 would have left it, then renewed by certsmith.
  std::string old = conf_text();
  old.replace(old.find("version = 2.1.0"), 15, "version = 1.21.0");
  test::spit(paths.renewal_conf("example.org"), old);
  auto reloaded = Lineage::load(paths, "example.org");
  save_successor(reloaded, test::make_certificate_files("example.org"), reloaded.params());
  CHECK_THAT(conf_text(), Catch::Contains("\nversion = 1.21.0\n"));
  CHECK(conf_text() == old);
}

TEST_CASE("certbot confs: Let's Encrypt's ACME v1 server renews with v2, as certbot's _restore_str",
          "[store][renewal]") {
  std::string v1_conf = k_certbot_webroot;
  std::string v2 = "https://acme-v02.api.letsencrypt.org/directory";
  std::string v1 = "https://acme-v01.api.letsencrypt.org/directory";
  v1_conf.replace(v1_conf.find(v2), v2.size(), v1);
  auto conf = ConfigObj::parse(v1_conf, "x");
  auto params = read_renewal_params(conf);
  CHECK(params.server == v2);
  write_renewal_params(conf, params);
  CHECK(conf.to_string() == k_certbot_webroot); // only the server line changed back
  // Staging v1 and other servers are left alone (certbot maps only production v1).
  std::string staging_v1 = "https://acme-staging.api.letsencrypt.org/directory";
  std::string staging_conf = k_certbot_webroot;
  staging_conf.replace(staging_conf.find(v2), v2.size(), staging_v1);
  CHECK(read_renewal_params(ConfigObj::parse(staging_conf, "x")).server == staging_v1);
}
