#include "store/renewal_conf.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::StorageError;
using certsmith::store::ConfigObj;
using certsmith::store::read_renewal_params;
using certsmith::store::RenewalParams;
using certsmith::store::write_renewal_params;

namespace {

const std::string k_certbot_example = R"(# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/example.com
cert = /etc/letsencrypt/live/example.com/cert.pem
privkey = /etc/letsencrypt/live/example.com/privkey.pem
chain = /etc/letsencrypt/live/example.com/chain.pem
fullchain = /etc/letsencrypt/live/example.com/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 6b1ac3f6b4b52a1e9b3f6a1c0e0f1f5e
authenticator = webroot
webroot_path = /var/www/html,
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ecdsa
[[webroot_map]]
example.com = /var/www/html
www.example.com = /var/www/html
)";

RenewalParams example_params() {
  RenewalParams params;
  params.account = "6b1ac3f6b4b52a1e9b3f6a1c0e0f1f5e";
  params.authenticator = "webroot";
  params.webroot_path = {"/var/www/html"};
  params.server = "https://acme-v02.api.letsencrypt.org/directory";
  params.key_type = "ecdsa";
  params.webroot_map = {{"example.com", "/var/www/html"}, {"www.example.com", "/var/www/html"}};
  return params;
}

std::string read_error(const std::string& params_text) {
  try {
    read_renewal_params(ConfigObj::parse("[renewalparams]\n" + params_text, "renewal/x.conf"));
  } catch (const StorageError& error) {
    return error.what();
  }
  return "(no error)";
}

} // namespace

TEST_CASE("renewal params: read certbot's conf", "[store][renewal]") {
  auto params = read_renewal_params(ConfigObj::parse(k_certbot_example, "x"));
  CHECK(params == example_params());
}

TEST_CASE("renewal params: a conf without key_type means rsa", "[store][renewal]") {
  auto params = read_renewal_params(ConfigObj::parse(
      "[renewalparams]\nauthenticator = standalone\nrsa_key_size = 4096\n"
      "http01_port = 8080\nreuse_key = true\nrenew_hook = systemctl reload nginx\n",
      "x"));
  CHECK(params.key_type == "rsa");
  CHECK(params.rsa_key_size == 4096);
  CHECK(params.http01_port == 8080);
  CHECK(params.reuse_key == true);
  CHECK(params.renew_hook == "systemctl reload nginx");
  CHECK(read_renewal_params(ConfigObj()).key_type == "rsa");
}

TEST_CASE("renewal params: writing into an empty conf gives certbot's text", "[store][renewal]") {
  ConfigObj conf;
  auto& root = conf.root();
  root.set("version", "2.1.0");
  root.set("archive_dir", "/etc/letsencrypt/archive/example.com");
  for (const char* kind : {"cert", "privkey", "chain", "fullchain"}) {
    root.set(kind, std::string("/etc/letsencrypt/live/example.com/") + kind + ".pem");
  }
  write_renewal_params(conf, example_params());
  CHECK(conf.to_string() == k_certbot_example);
}

TEST_CASE("renewal params: unchanged params leave the file untouched", "[store][renewal]") {
  for (const std::string& text : std::vector<std::string>{
           k_certbot_example,
           std::string("renew_before_expiry = 20 days\n[renewalparams]\nreuse_key = true\n"
                       "webroot_path = /srv/www\nhttp01_port = 80\nkey_type = rsa\n")}) {
    auto conf = ConfigObj::parse(text, "x");
    write_renewal_params(conf, read_renewal_params(conf));
    CHECK(conf.to_string() == text);
  }
}

TEST_CASE("renewal params: unknown keys stay, unset known keys go", "[store][renewal]") {
  auto conf = ConfigObj::parse(k_certbot_example, "x");
  conf.root().section("renewalparams")->set("manual_public_ip_logging_ok", "True");
  auto params = read_renewal_params(conf);
  params.authenticator = "standalone";
  params.webroot_path.clear();
  params.webroot_map.clear();
  params.http01_port = 8080;
  params.renew_hook = "systemctl reload nginx";
  params.reuse_key = false;
  params.renew_before_expiry = "20 days";
  write_renewal_params(conf, params);
  auto text = conf.to_string();
  CHECK(text.find("manual_public_ip_logging_ok = True") != std::string::npos);
  CHECK(text.find("webroot") == std::string::npos);
  CHECK(text.find("authenticator = standalone\n") != std::string::npos);
  CHECK(text.find("http01_port = 8080\n") != std::string::npos);
  CHECK(text.find("reuse_key = False\n") != std::string::npos);
  CHECK(text.find("fullchain.pem\nrenew_before_expiry = 20 days\n") != std::string::npos);
  auto again = read_renewal_params(ConfigObj::parse(text, "again"));
  CHECK(again == params);
}

TEST_CASE("renewal params: malformed numbers and booleans are refused", "[store][renewal]") {
  CHECK(read_error("rsa_key_size = abc\n") ==
        "renewal/x.conf: rsa_key_size must be a number from 1 to 65536, not 'abc'");
  CHECK(read_error("rsa_key_size = 4096, 2048\n") ==
        "renewal/x.conf: rsa_key_size must be a number from 1 to 65536, not '4096, 2048'");
  CHECK(read_error("http01_port = 99999999999\n") ==
        "renewal/x.conf: http01_port must be a number from 0 to 65535, not '99999999999'");
  CHECK(read_error("http01_port = -1\n") ==
        "renewal/x.conf: http01_port must be a number from 0 to 65535, not '-1'");
  CHECK(read_error("reuse_key = maybe\n") ==
        "renewal/x.conf: reuse_key must be True or False, not 'maybe'");
  CHECK(read_error("reuse_key = False\n") == "(no error)");
}
