#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "crypto/jwk.hpp"
#include "issuance/account_commands.hpp"
#include "issuance/account_eab.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <unistd.h>

using namespace certsmith;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_dir = "https://ca.test/dir";
const std::string k_account_url = "https://ca.test/acct/1";
// Pebble's example EAB key "kid-1".
const std::string k_mac_key = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";

class TempRoot {
public:
  TempRoot() {
    std::string pattern = (std::filesystem::temp_directory_path() / "certsmith-accounts-XXXXXX");
    m_root = ::mkdtemp(pattern.data());
  }
  ~TempRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
  }
  store::TreePaths paths() const { return store::TreePaths::under(m_root); }

private:
  std::filesystem::path m_root;
};

json decode_member(const json& jws, const char* member) {
  return json::parse(*crypto::base64url_decode(jws[member].get<std::string>()));
}

json payload_of(const http::Request& request) {
  return decode_member(json::parse(request.body), "payload");
}

const char* const k_does_not_exist =
    R"({"type":"urn:ietf:params:acme:error:accountDoesNotExist","detail":"no"})";

json jwk_of(const http::Request& request) {
  return decode_member(json::parse(request.body), "protected")["jwk"];
}

// A CA for the key-change and deactivation tests, answering every request by
// its URL: nonces, keyChange (by `key_change`, which may throw), the account
// URL (by `account`), and onlyReturnExisting lookups as a CA that holds
// `held` for k_account_url ("old" = the key whose JWK is old_jwk, "new" = any
// other, "none"), or fails every lookup with a 500 ("unclear").
struct FakeCa {
  json old_jwk;
  std::string held = "old";
  std::function<http::Response()> key_change = [] { return json_response(200, "{}"); };
  std::function<http::Response()> account = [] { return json_response(200, "{}"); };
  bool answer_lookup_deactivated = false; // Pebble's and Boulder's answer for such a key
  int lookups = 0;

  http::Response operator()(const http::Request& request) {
    static int nonce = 0;
    http::Response response = answer(request);
    response.headers.emplace_back("replay-nonce", "ca" + std::to_string(++nonce));
    return response;
  }

  http::Response answer(const http::Request& request) {
    if (request.url == "https://ca.test/nonce")
      return http::Response{200, {}, "", {}};
    if (request.url == "https://ca.test/key-change")
      return key_change();
    if (request.url == k_account_url)
      return account();
    ++lookups;
    if (answer_lookup_deactivated)
      return json_response(
          403,
          R"({"type":"urn:ietf:params:acme:error:unauthorized","detail":"An account with the provided public key exists but is deactivated"})");
    if (held == "unclear")
      return json_response(500, R"({"type":"urn:ietf:params:acme:error:serverInternal"})");
    const bool is_old = jwk_of(request) == old_jwk;
    if ((held == "old" && is_old) || (held == "new" && !is_old))
      return json_response(200, R"({"status":"valid"})", {{"location", k_account_url}});
    return json_response(400, k_does_not_exist);
  }
};

struct Fixture {
  TempRoot root;
  store::TreePaths paths = root.paths();
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::Client client{transport, clock, k_dir};

  void expect_directory(bool eab_required = false) {
    json directory = {{"newNonce", "https://ca.test/nonce"},
                      {"newAccount", "https://ca.test/new-acct"},
                      {"newOrder", "https://ca.test/order"},
                      {"keyChange", "https://ca.test/key-change"},
                      {"meta", {{"externalAccountRequired", eab_required}}}};
    transport.expect(json_response(200, directory.dump()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  }

  store::StoredAccount stored(const std::string& uri = k_account_url) {
    store::StoredAccount account{
        "", k_dir, uri, crypto::PrivateKey::generate({}), json{{"status", "valid"}}, "", ""};
    account.id = store::save_account(paths, account);
    return account;
  }

  // Every later request goes to ca (enough answers for any test here).
  void serve(const std::shared_ptr<FakeCa>& ca) {
    for (int i = 0; i < 20; ++i)
      transport.expect([ca](const http::Request& request) { return (*ca)(request); });
  }

  void write_conf(const std::string& name, const std::string& account_id) {
    std::filesystem::create_directories(paths.renewal_dir());
    std::ofstream(paths.renewal_conf(name))
        << "version = 2.1.0\n[renewalparams]\naccount = " << account_id << "\nserver = " << k_dir
        << "\n";
  }

  std::string conf_account(const std::string& name) {
    std::ifstream in(paths.renewal_conf(name));
    std::string line;
    while (std::getline(in, line))
      if (line.starts_with("account = "))
        return line.substr(10);
    return "";
  }

  std::vector<std::string> ids() {
    std::vector<std::string> result;
    for (const auto& account : store::load_accounts(paths, k_dir))
      result.push_back(account.id);
    return result;
  }
};

issuance::AccountRequest with_email(const std::string& email = "admin@example.com") {
  issuance::AccountRequest request;
  request.email = email;
  request.agree_tos = true;
  return request;
}

} // namespace

// ----- EAB flags ------------------------------------------------------------------------------

TEST_CASE("the EAB MAC key is base64url, padded or not", "[issuance][accounts]") {
  const std::string raw = *crypto::base64url_decode(k_mac_key);
  CHECK(issuance::decode_eab_hmac_key(k_mac_key) == raw);
  CHECK(issuance::decode_eab_hmac_key("YWJj") == "abc");
  CHECK(issuance::decode_eab_hmac_key("YWI") == "ab");
  CHECK(issuance::decode_eab_hmac_key("YWI=") == "ab");
  CHECK(issuance::decode_eab_hmac_key("YQ==") == "a");
  for (const char* bad : {"", "=", "====", "YQ=", "YQ===", "YW=I", "a+b!", "Y W I", "YWI==", "Y",
                          "\xff\xfe", "YQ\n", "..", "YWI=\n"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(issuance::decode_eab_hmac_key(bad), UsageError);
  }
}

TEST_CASE("the EAB MAC key may also come in standard base64", "[issuance][accounts]") {
  // 0xfb 0xff 0xbf is "-_-_" in base64url and "+/+/" in standard base64.
  CHECK(issuance::decode_eab_hmac_key("-_-_") == "\xfb\xff\xbf");
  CHECK(issuance::decode_eab_hmac_key("+/+/") == "\xfb\xff\xbf");
  CHECK(issuance::decode_eab_hmac_key("+/8=") == "\xfb\xff");
  CHECK(issuance::decode_eab_hmac_key("+/8") == "\xfb\xff");
  for (const char* bad : {"+", "+/=+", "+\n/"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(issuance::decode_eab_hmac_key(bad), UsageError);
  }
}

TEST_CASE("register with EAB binds the new account key to the kid", "[issuance][accounts]") {
  Fixture f;
  f.expect_directory(true);
  f.transport.expect(json_response(201, R"({"status":"valid"})", {{"location", k_account_url}}));
  auto request = with_email();
  request.eab_kid = "kid-1";
  request.eab_hmac_key = k_mac_key;
  request.eab_hmac_alg = "HS384";
  auto account = issuance::register_account(f.paths, f.client, request);

  const json payload = payload_of(f.transport.requests().back());
  const json& eab = payload["externalAccountBinding"];
  CHECK(decode_member(eab, "protected") ==
        json{{"alg", "HS384"}, {"kid", "kid-1"}, {"url", "https://ca.test/new-acct"}});
  CHECK(decode_member(eab, "payload") == crypto::public_jwk(account.key));
  const std::string signing_input =
      eab["protected"].get<std::string>() + "." + eab["payload"].get<std::string>();
  CHECK(*crypto::base64url_decode(eab["signature"].get<std::string>()) ==
        crypto::hmac("SHA384", *crypto::base64url_decode(k_mac_key), signing_input));
  CHECK(payload["contact"] == json{"mailto:admin@example.com"});
  CHECK(f.ids() == std::vector<std::string>{account.id});
}

TEST_CASE("a CA that requires EAB gets nothing without the flags", "[issuance][accounts]") {
  Fixture f;
  f.expect_directory(true);
  CHECK_THROWS_WITH(issuance::register_account(f.paths, f.client, with_email()),
                    Catch::Contains("--eab-kid") && Catch::Contains("--eab-hmac-key"));
  for (const auto& request : f.transport.requests())
    CHECK(request.method != "POST");
  CHECK(f.ids().empty());
}

TEST_CASE("malformed EAB flags are refused before the CA is asked", "[issuance][accounts]") {
  Fixture f;
  auto request = with_email();
  SECTION("key not base64") {
    request.eab_kid = "kid-1";
    request.eab_hmac_key = "not base64!";
  }
  SECTION("kid without key") {
    request.eab_kid = "kid-1";
  }
  SECTION("key without kid") {
    request.eab_hmac_key = k_mac_key;
  }
  SECTION("unknown algorithm") {
    request.eab_kid = "kid-1";
    request.eab_hmac_key = k_mac_key;
    request.eab_hmac_alg = "HS1";
  }
  CHECK_THROWS_AS(issuance::register_account(f.paths, f.client, request), UsageError);
  CHECK(f.transport.requests().empty());
  CHECK(f.ids().empty());
}

// ----- choosing the account -------------------------------------------------------------------

TEST_CASE("account flag picks a stored account; unknown or malformed ids are refused",
          "[issuance][accounts]") {
  Fixture f;
  auto a = f.stored("https://ca.test/acct/a");
  auto b = f.stored("https://ca.test/acct/b");
  const std::string first = std::min(a.id, b.id);
  const std::string second = std::max(a.id, b.id);

  issuance::AccountRequest request;
  CHECK(issuance::select_account(f.paths, k_dir, request)->id == first);
  request.account_id = second;
  CHECK(issuance::select_account(f.paths, k_dir, request)->id == second);
  CHECK_FALSE(issuance::select_account(f.paths, "https://other.test/dir", {}));

  for (const std::string& bad : {std::string(32, '0'), std::string("../") + first, first + "/..",
                                 std::string(".."), first.substr(1)}) {
    CAPTURE(bad);
    request.account_id = bad;
    CHECK_THROWS_AS(issuance::select_account(f.paths, k_dir, request), UsageError);
  }
}

TEST_CASE("register refuses a second account like certbot", "[issuance][accounts]") {
  Fixture f;
  f.stored();
  CHECK_THROWS_WITH(issuance::register_new_account(f.paths, f.client, with_email()),
                    Catch::StartsWith("There is an existing account"));
  CHECK(f.transport.requests().empty());
}

TEST_CASE("commands without a stored account say so with certbot's words", "[issuance][accounts]") {
  Fixture f;
  CHECK_THROWS_WITH(issuance::existing_account(f.paths, k_dir, {}),
                    "Could not find an existing account for server https://ca.test/dir.");
}

// ----- update, show, deactivate ---------------------------------------------------------------

TEST_CASE("update_account sends the new contacts and saves the CA's answer",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.expect_directory();
  f.transport.expect(json_response(200, R"({"status":"valid","contact":["mailto:a@b.example"]})"));
  issuance::update_account_contacts(f.paths, f.client, account, with_email("a@b.example"));
  CHECK(payload_of(f.transport.requests().back()) == json{{"contact", {"mailto:a@b.example"}}});
  auto saved = store::load_account(f.paths, k_dir, account.id);
  REQUIRE(saved);
  CHECK(saved->regr_body["contact"] == json{"mailto:a@b.example"});
  CHECK(saved->uri == k_account_url);
}

TEST_CASE("update_account needs -m or the explicit removal flag", "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  CHECK_THROWS_AS(issuance::update_account_contacts(f.paths, f.client, account, with_email("")),
                  UsageError);
  CHECK(f.transport.requests().empty());

  auto remove_all = with_email("");
  remove_all.register_unsafely_without_email = true;
  f.expect_directory();
  f.transport.expect(json_response(200, R"({"status":"valid"})"));
  issuance::update_account_contacts(f.paths, f.client, account, remove_all);
  CHECK(payload_of(f.transport.requests().back()) == json{{"contact", json::array()}});
}

TEST_CASE("show_account reports what the CA holds now", "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.expect_directory();
  f.transport.expect(json_response(
      200,
      R"({"status":"valid","contact":["mailto:a@b.example","tel:+1555","mailto:c@d.example",7]})"));
  auto details = issuance::show_account(f.client, account);
  CHECK(details.url == k_account_url);
  CHECK(details.status == "valid");
  CHECK(details.emails == std::vector<std::string>{"a@b.example", "c@d.example"});
  CHECK(details.other_contacts == std::vector<std::string>{"tel:+1555"});
  CHECK(details.thumbprint == crypto::jwk_thumbprint(account.key));
  CHECK(f.transport.requests().back().body.find("payload\":\"\"") != std::string::npos);
}

TEST_CASE("deactivation removes the local account only after the CA agreed",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.expect_directory();
  SECTION("agreed") {
    f.transport.expect(json_response(200, R"({"status":"deactivated"})"));
    issuance::deactivate_account(f.paths, f.client, account);
    CHECK(f.ids().empty());
  }
  SECTION("refused, and the CA still holds the account") {
    auto ca = std::make_shared<FakeCa>();
    ca->old_jwk = crypto::public_jwk(account.key);
    ca->account = [] {
      return json_response(403,
                           R"({"type":"urn:ietf:params:acme:error:unauthorized","detail":"no"})");
    };
    f.serve(ca);
    CHECK_THROWS_AS(issuance::deactivate_account(f.paths, f.client, account), acme::AcmeError);
    CHECK(ca->lookups == 1);
    CHECK(f.ids() == std::vector<std::string>{account.id});
  }
}

TEST_CASE("a deactivation that already happened (answer lost) still removes the local account",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  // What Pebble and Boulder answer for a deactivated account's kid.
  ca->account = [] {
    return json_response(
        403,
        R"({"type":"urn:ietf:params:acme:error:unauthorized","detail":"Account is not valid, has status \"deactivated\""})");
  };
  SECTION("lookup: exists but is deactivated") {
    ca->held = "none";
    ca->answer_lookup_deactivated = true;
  }
  SECTION("lookup: unknown to the CA") {
    ca->held = "none";
  }
  f.serve(ca);
  issuance::deactivate_account(f.paths, f.client, account);
  CHECK(ca->lookups == 1);
  CHECK(f.ids().empty());
}

TEST_CASE("a deactivation the CA answers oddly removes nothing while the account is valid",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  ca->account = [] { return json_response(200, R"({"status":"valid"})"); };
  SECTION("the CA still holds it") {}
  SECTION("the CA cannot say") {
    ca->held = "unclear";
  }
  f.serve(ca);
  CHECK_THROWS_AS(issuance::deactivate_account(f.paths, f.client, account), acme::ProtocolError);
  CHECK(f.ids() == std::vector<std::string>{account.id});
}

// ----- rollover -------------------------------------------------------------------------------

TEST_CASE("rollover: new directory, keyChange, confs repointed, old directory gone",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.write_conf("mine.example", account.id);
  f.write_conf("other.example", "0123456789abcdef0123456789abcdef");
  f.expect_directory();
  std::vector<std::string> ids_during_key_change;
  f.transport.expect([&](const http::Request&) {
    ids_during_key_change = f.ids(); // step 1 is done before step 2
    return json_response(200, R"({"status":"valid"})", {{"replay-nonce", "n2"}});
  });

  auto result = issuance::rollover_account_key(f.paths, f.client, account);
  CHECK(result.old_id == account.id);
  CHECK(result.lineages == std::vector<std::string>{"mine.example"});
  CHECK(ids_during_key_change.size() == 2);
  CHECK(f.ids() == std::vector<std::string>{result.new_id});
  CHECK(f.conf_account("mine.example") == result.new_id);
  CHECK(f.conf_account("other.example") == "0123456789abcdef0123456789abcdef");
  auto moved = store::load_account(f.paths, k_dir, result.new_id);
  REQUIRE(moved);
  CHECK(moved->uri == k_account_url);
  const json inner = payload_of(f.transport.requests().back());
  CHECK(decode_member(inner, "protected")["jwk"] == crypto::public_jwk(moved->key));
  CHECK(decode_member(inner, "payload")["oldKey"] == crypto::public_jwk(account.key));
}

TEST_CASE("rollover: a failed keyChange removes the new key only when the CA still holds the old",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.write_conf("mine.example", account.id);
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  SECTION("refused") {
    ca->key_change = [] {
      return json_response(409, R"({"type":"urn:ietf:params:acme:error:conflict","detail":"x"})");
    };
  }
  SECTION("5xx") {
    ca->key_change = [] { return json_response(503, "<html>busy</html>"); };
  }
  SECTION("connection lost") {
    ca->key_change = []() -> http::Response { throw NetworkError("connection reset"); };
  }
  f.serve(ca);
  CHECK_THROWS_AS(issuance::rollover_account_key(f.paths, f.client, account), Error);
  CHECK(ca->lookups == 2); // the new key (unknown), then the old (held)
  CHECK(f.ids() == std::vector<std::string>{account.id});
  CHECK(f.conf_account("mine.example") == account.id);
}

TEST_CASE("rollover: a keyChange that failed but took effect is finished", "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.write_conf("mine.example", account.id);
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  ca->held = "new";
  ca->key_change = [] { return json_response(500, "{}"); };
  f.serve(ca);
  auto result = issuance::rollover_account_key(f.paths, f.client, account);
  CHECK(result.old_id == account.id);
  CHECK(result.lineages == std::vector<std::string>{"mine.example"});
  CHECK(f.ids() == std::vector<std::string>{result.new_id});
  CHECK(f.conf_account("mine.example") == result.new_id);
}

TEST_CASE("rollover: when the CA cannot say which key it holds, both are kept",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.write_conf("mine.example", account.id);
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  SECTION("lookups fail") {
    ca->held = "unclear";
  }
  SECTION("the CA knows neither key") {
    ca->held = "none";
  }
  ca->key_change = [] { return json_response(502, ""); };
  f.serve(ca);
  CHECK_THROWS_AS(issuance::rollover_account_key(f.paths, f.client, account), acme::AcmeError);
  CHECK(f.ids().size() == 2);
  CHECK(f.conf_account("mine.example") == account.id);
}

TEST_CASE("rollover: a conf that cannot follow keeps the old account directory",
          "[issuance][accounts]") {
  Fixture f;
  auto account = f.stored();
  f.write_conf("mine.example", account.id);
  const auto elsewhere = f.paths.renewal_dir() / "elsewhere";
  f.write_conf("target", account.id);
  std::filesystem::rename(f.paths.renewal_conf("target"), elsewhere);
  std::filesystem::create_symlink(elsewhere, f.paths.renewal_conf("linked.example"));
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(account.key);
  f.serve(ca);
  auto result = issuance::rollover_account_key(f.paths, f.client, account);
  CHECK(result.lineages == std::vector<std::string>{"mine.example"});
  CHECK(f.conf_account("mine.example") == result.new_id);
  CHECK(f.conf_account("linked.example") == account.id);
  // The old directory stays for the conf that still names it.
  auto ids = f.ids();
  CHECK(ids.size() == 2);
  CHECK(std::find(ids.begin(), ids.end(), account.id) != ids.end());
}

TEST_CASE("ensure_account prefers the key the CA holds when two stored accounts share a URL",
          "[issuance][accounts]") {
  Fixture f;
  auto a = f.stored();
  auto b = f.stored();
  const auto& first = a.id < b.id ? a : b;  // what select_account picks
  const auto& second = a.id < b.id ? b : a; // the key the CA holds
  f.expect_directory();
  auto ca = std::make_shared<FakeCa>();
  ca->old_jwk = crypto::public_jwk(first.key);
  SECTION("the CA holds the other key") {
    ca->held = "new";
    f.serve(ca);
    CHECK(issuance::ensure_account(f.paths, f.client, {}).id == second.id);
  }
  SECTION("the CA cannot say: the first by id, with the warning") {
    ca->held = "unclear";
    f.serve(ca);
    CHECK(issuance::ensure_account(f.paths, f.client, {}).id == first.id);
  }
  CHECK(f.ids().size() == 2); // nothing is settled behind the user's back
}

TEST_CASE("ensure_account asks the CA nothing when no two accounts share a URL",
          "[issuance][accounts]") {
  Fixture f;
  auto a = f.stored("https://ca.test/acct/a");
  auto b = f.stored("https://ca.test/acct/b");
  auto chosen = issuance::ensure_account(f.paths, f.client, {});
  CHECK(f.transport.requests().empty());
  CHECK(chosen.id == std::min(a.id, b.id));
}

TEST_CASE("rollover: directories left by an interrupted rollover are settled first",
          "[issuance][accounts]") {
  Fixture f;
  auto stale = f.stored();
  auto current = f.stored(); // same URL, the key the CA holds
  f.write_conf("mine.example", stale.id);
  f.expect_directory();
  // onlyReturnExisting answers for each candidate (the CA knows only
  // `current`), then the keyChange; in whatever order the candidates are asked.
  int nonce = 0;
  auto ca = [&](const http::Request& request) {
    http::Headers headers{{"replay-nonce", "n" + std::to_string(++nonce)}};
    if (request.url != "https://ca.test/new-acct")
      return json_response(200, R"({"status":"valid"})", headers);
    const json header = decode_member(json::parse(request.body), "protected");
    if (header["jwk"] == crypto::public_jwk(current.key)) {
      headers.emplace_back("location", k_account_url);
      return json_response(200, R"({"status":"valid"})", headers);
    }
    return json_response(
        400, R"({"type":"urn:ietf:params:acme:error:accountDoesNotExist","detail":"no"})", headers);
  };
  for (int i = 0; i < 3; ++i)
    f.transport.expect(ca);

  auto result = issuance::rollover_account_key(f.paths, f.client, stale);
  CHECK(result.old_id == current.id);
  CHECK(f.ids() == std::vector<std::string>{result.new_id});
  CHECK(f.conf_account("mine.example") == result.new_id);
  const json inner = payload_of(f.transport.requests().back());
  CHECK(decode_member(inner, "payload")["oldKey"] == crypto::public_jwk(current.key));
}
