#include "crypto/private_key.hpp"
#include "store/account_store.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

using certsmith::StorageError;
using certsmith::UsageError;
using certsmith::crypto::PrivateKey;
using namespace certsmith::store;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;

namespace {

const std::string k_letsencrypt = "https://acme-v02.api.letsencrypt.org/directory";
const std::string k_pebble = "https://127.0.0.1:14000/dir";

// Keys whose ids were computed by certbot 2.1 itself (account.Account(...).id).
const std::string k_ec_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZif0eYnoyKPQaVjC
U+Old+ODoRhMc8xJV1MisjfVFsChRANCAARulhath8/D1TtaHLL+TOI76ZaP9hld
fNIgucByVs+wY3oLBxx487TUFzNLRJUmtDwZ2UMwQNj1O1yxh5iflKW+
-----END PRIVATE KEY-----
)";
const std::string k_ec_id = "6f1d25935e7421d8a9a1b800427025f5";
const std::string k_ec_certbot_jwk =
    R"({"d": "Zif0eYnoyKPQaVjCU-Old-ODoRhMc8xJV1MisjfVFsA", "x": "bpYWrYfPw9U7Whyy_kziO-mWj_YZXXzSILnAclbPsGM", "y": "egsHHHjztNQXM0tElSa0PBnZQzBA2PU7XLGHmJ-Upb4", "crv": "P-256", "kty": "EC"})";

const std::string k_rsa_key = R"(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCkWtsHi5UHq/y5
AeYjmrgL0ne9qamTs6pcSeNdEfSZj4oS6qG9/pHS7Z27v2DAG9CCQZN93LnexzaD
h/RGXdiQQt3lA4n9r4pchhUVkmK8eZGoBk0e5IKzOte3KHmUE9Ok/3sXsS29/LXx
akXYJKLBC1djdvMWl5NYEYB+a5zaXblatIbQSnrp02VkIM7WLy/eFcPJ6BHPqW1E
BjqiNCmVT30MXXI/NpVaFVPDFIbSMk0T7vpwsDrjEKsXCfISq8CxvJWh7T+duR37
6sw5t4Tcm7VPJYANj00s4dDy0XHf6vGdk2Xy2/JbVAClAV4mDX8GPXJN4HjEUYAx
8CH8oy7lAgMBAAECggEAROdQR0gGCUrZ72gz5z5gpZgtmiaskN80b2+MsgKqlMyA
OvECMSiuUwtKYyFXOwMONeWvI4erpxHGsXsIdo22krht1arXqbLz41lVMo+F9HVV
EufdYjOz9dcYA9IksmdjhhuTq/mcbzeowZbnxDeLwjnyf6EpRZHzdGsV/yo3frY6
GD9cp5TqXjZdpN3XUZT48sAyLxZlDxvoHT8F/LfBrGY5Zwm7cZRONNhSzzepiWRt
pj27AFC8iAsbIPMrpOSRoaFNX7PkrYqOr/NGrfsag0ZxZ1qqqWAf4NkJf6fC0TWr
VYp2Ts7Dg3/eCWnpLsLBKmCgxJARQsCYvvCL/VeMWwKBgQDnU0AKy8YF4YAk8E3q
Z0djGQ1+3jnyz5BGaWCCnB8RzbX351Im0Zj00Onuup+7bSfAChWP0wy8Xq/WgquI
67lj19Onf+AtHqAniYTh7oMM60xmqcnS64wKYh39bMkOHrvYdFJUlDRp+84cZHdH
bCgm1vsYzZifs5OFujodzq6NswKBgQC14tyCZoy43wrVa+BOwTQKBldZ58jl3bjY
Wogr1QAx6w2mNa3XZCIJ3haDUG2+WF1/pdZnmeZw66CtHE6HQ+5f58xOoOelOQO5
6WVAoYhZMRLjDPK+YjT3gf4Dyl+YltPGAZGST4SFBWWhOr/Hg0OROXWAMJX8NlgB
E/X/4Dv1BwKBgQCtHCvM6HmkZQCUpBBq3icaDeF/k6YiAxqg1rMWiublV+BZSI69
5hRlAQJPWPG4PROGLwW7v+DEBsfn65mauWzfPuBxdMy6dzS64brDqM4BmQRvv5f9
c7A1BQAUaph7LJy+ey4xhUdEGOBBdx2cIWBa0H7QLOuOd8BqTta2/7i46QKBgQCh
Q0TzMO0vtEGsu/qimNYE1V55TfJnK9CJsqrtAessVxVA+nLpd9ReH1SilJrYmww6
8tRIAsG3+JH7Kg/OCkK9MY2JYUxAx24wVWj6hr2XJtVyDbbjabtAfzayManUZlXZ
RubEbFA4iHJ1ItuKjy1HA0TUpT814RDh08rWVP+T3QKBgG8oUSK1iF8rjJhLBPHx
vPg3+T4e00oSehIMP4oOE0WIGI+zHO6i1zUks2/sbbgBzn6mjcdHe69H//tu0Jq3
KuHnoe8v7mTx4mrSoDZLjIZSfT7iqMAUKShcqgL+yMnMxznJ1qy8tlb1ormL4o8p
mRASwDnLmbh/QH8hIil0LgvY
-----END PRIVATE KEY-----
)";
const std::string k_rsa_id = "caec58d5922156d0cda3be33f47307db";

StoredAccount make_account(const std::string& server, const std::string& pem = k_ec_key) {
  return StoredAccount{"",
                       server,
                       "https://acme.example/acct/17",
                       PrivateKey::from_pem(pem),
                       {{"contact", {"mailto:admin@example.com"}}, {"status", "valid"}},
                       "2026-11-23T11:00:00Z",
                       "host.example"};
}

std::string error_of(auto&& action) {
  try {
    action();
  } catch (const StorageError& error) {
    return error.what();
  }
  return "(no StorageError)";
}

} // namespace

TEST_CASE("accounts: the id is certbot's", "[store][accounts]") {
  CHECK(account_id_for_key(PrivateKey::from_pem(k_ec_key)) == k_ec_id);
  CHECK(account_id_for_key(PrivateKey::from_pem(k_rsa_key)) == k_rsa_id);
}

TEST_CASE("accounts: directory layout follows certbot's server path", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto accounts = paths.accounts_dir();
  CHECK(account_dir(paths, k_letsencrypt, k_ec_id) ==
        accounts / "acme-v02.api.letsencrypt.org" / "directory" / k_ec_id);
  CHECK(account_dir(paths, k_pebble, k_ec_id) == accounts / "127.0.0.1:14000" / "dir" / k_ec_id);
  CHECK(server_accounts_dir(paths, "https://ca.example") == accounts / "ca.example");
  CHECK(server_accounts_dir(paths, "https://ca.example/acme/v2/?x=1#f") ==
        accounts / "ca.example" / "acme" / "v2");
  CHECK(server_accounts_dir(paths, "https://[::1]:14000/dir") == accounts / "[::1]:14000" / "dir");
}

TEST_CASE("accounts: hostile server URLs and ids cannot leave accounts/", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  for (const std::string& url : std::vector<std::string>{
           "https://ca.example/../../../etc", "https://ca.example/a/./b", "https://../x",
           "https://./x", "https://.hidden/x", "https://user:pw@ca.example/dir",
           "ftp://ca.example/x", "ca.example/dir", "https://ca.example/a\\b",
           "https://ca.example/a b", "https://ca.example/\n", "https:///dir",
           "https://ca.example:/dir", "https://ca.example:99999999/dir", "https://[::1/dir",
           "https://ca.example/%00/\x01", "file:///etc/passwd"}) {
    CAPTURE(url);
    CHECK_THROWS_AS(server_accounts_dir(paths, url), UsageError);
  }
  for (const std::string& id : std::vector<std::string>{
           "../../evil", "", "6F1D25935E7421D8A9A1B800427025F5", "6f1d25935e7421d8a9a1b800427025f",
           "6f1d25935e7421d8a9a1b800427025f5/.."}) {
    CAPTURE(id);
    CHECK_THROWS_AS(account_dir(paths, k_letsencrypt, id), UsageError);
    CHECK_THROWS_AS(load_account(paths, k_letsencrypt, id), UsageError);
  }
}

TEST_CASE("accounts: save then load round-trips, with certbot's files and modes",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  for (const auto& server : {k_letsencrypt, k_pebble}) {
    CAPTURE(server);
    auto account = make_account(server);
    CHECK(save_account(paths, account) == k_ec_id);
    auto dir = account_dir(paths, server, k_ec_id);
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(paths.accounts_dir()) == 0700);
    CHECK(mode_of(dir / "private_key.json") == 0400);
    auto regr = nlohmann::json::parse(slurp(dir / "regr.json"));
    CHECK(regr == nlohmann::json{{"body", account.regr_body}, {"uri", account.uri}});
    auto meta = nlohmann::json::parse(slurp(dir / "meta.json"));
    CHECK(meta["creation_dt"] == "2026-11-23T11:00:00Z");
    CHECK(meta["creation_host"] == "host.example");
    auto jwk = nlohmann::json::parse(slurp(dir / "private_key.json"));
    CHECK(jwk["kty"] == "EC");
    CHECK(jwk.contains("d"));

    auto loaded = load_account(paths, server, k_ec_id);
    REQUIRE(loaded);
    CHECK(loaded->id == k_ec_id);
    CHECK(loaded->server == server);
    CHECK(loaded->uri == account.uri);
    CHECK(loaded->regr_body == account.regr_body);
    CHECK(loaded->creation_dt == account.creation_dt);
    CHECK(loaded->key.public_key_der() == account.key.public_key_der());

    auto all = load_accounts(paths, server);
    REQUIRE(all.size() == 1);
    CHECK(all[0].id == k_ec_id);
  }
  // Saving again (e.g. after a contact update) replaces the files in place.
  auto updated = make_account(k_pebble);
  updated.regr_body = nlohmann::json::object();
  save_account(paths, updated);
  CHECK(load_account(paths, k_pebble, k_ec_id)->regr_body == nlohmann::json::object());
  CHECK(mode_of(account_dir(paths, k_pebble, k_ec_id) / "private_key.json") == 0400);
  // Nothing left behind by the atomic writes.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(paths.accounts_dir())) {
    CHECK(entry.path().filename().string().front() != '.');
  }
}

TEST_CASE("accounts: defaults on save, and a mismatched id is refused", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto account = make_account(k_pebble, k_rsa_key);
  account.creation_dt.clear();
  account.creation_host.clear();
  CHECK(save_account(paths, account) == k_rsa_id);
  auto loaded = load_account(paths, k_pebble, k_rsa_id);
  REQUIRE(loaded);
  CHECK(loaded->creation_dt.size() == 20);
  CHECK(loaded->creation_dt.back() == 'Z');
  CHECK_FALSE(loaded->creation_host.empty());

  account.id = k_ec_id;
  CHECK_THROWS_AS(save_account(paths, account), StorageError);
}

TEST_CASE("accounts: an account certbot wrote loads", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto dir = paths.accounts_dir() / "acme-v02.api.letsencrypt.org" / "directory" / k_ec_id;
  std::filesystem::create_directories(dir);
  spit(dir / "private_key.json", k_ec_certbot_jwk);
  spit(dir / "regr.json",
       R"({"body": {}, "uri": "https://acme-v02.api.letsencrypt.org/acme/acct/1"})");
  spit(dir / "meta.json", R"({"creation_dt": "2021-03-01T10:00:00Z", "creation_host": "old"})");
  // Not accounts: ignored when listing.
  spit(dir.parent_path() / "README", "x");
  std::filesystem::create_directories(dir.parent_path() / "not-an-id");
  auto all = load_accounts(paths, k_letsencrypt);
  REQUIRE(all.size() == 1);
  CHECK(all[0].uri == "https://acme-v02.api.letsencrypt.org/acme/acct/1");
  CHECK(all[0].creation_dt == "2021-03-01T10:00:00Z");
  CHECK(all[0].creation_host == "old");
  CHECK(all[0].key.public_key_der() == PrivateKey::from_pem(k_ec_key).public_key_der());
  CHECK(load_accounts(paths, k_pebble).empty());
  CHECK_FALSE(load_account(paths, k_pebble, k_ec_id));
}

TEST_CASE("accounts: corrupt files give a StorageError naming the file", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  save_account(paths, make_account(k_letsencrypt));
  auto dir = account_dir(paths, k_letsencrypt, k_ec_id);
  auto key_file = dir / "private_key.json";
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  auto load = [&] { load_account(paths, k_letsencrypt, k_ec_id); };

  spit(key_file, "{not json");
  CHECK(error_of(load) == key_file.string() + ": not valid JSON");
  CHECK_THROWS_AS(load_accounts(paths, k_letsencrypt), StorageError);

  spit(key_file, R"({"kty": "EC", "crv": "P-256", "x": "AAAA"})");
  CHECK_THAT(error_of(load), Catch::StartsWith(key_file.string() + ": not a usable private key"));

  spit(key_file, R"(["an", "array"])");
  CHECK_THAT(error_of(load), Catch::StartsWith(key_file.string() + ": not a usable private key"));

  // A valid key that is not this account's.
  save_account(paths, make_account(k_pebble, k_rsa_key));
  auto other = slurp(account_dir(paths, k_pebble, k_rsa_id) / "private_key.json");
  spit(key_file, other);
  CHECK(error_of(load) == key_file.string() + ": the key does not belong to account " + k_ec_id);

  spit(key_file, k_ec_certbot_jwk);
  spit(dir / "regr.json", R"({"body": [], "uri": 5})");
  CHECK(error_of(load) == (dir / "regr.json").string() + ": not a registration resource");
  std::filesystem::remove(dir / "regr.json");
  CHECK(error_of(load) == (dir / "regr.json").string() + ": no such file");
  spit(dir / "regr.json", R"({"body": {}, "uri": "https://x/acct/1"})");
  spit(dir / "meta.json", std::string(70 * 1024, ' '));
  CHECK(error_of(load) == (dir / "meta.json").string() + ": larger than 65536 bytes");
}

TEST_CASE("accounts: delete removes the account, then the empty server directory",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  save_account(paths, make_account(k_pebble));
  save_account(paths, make_account(k_pebble, k_rsa_key));
  save_account(paths, make_account(k_letsencrypt));

  delete_account(paths, k_pebble, k_ec_id);
  CHECK_FALSE(std::filesystem::exists(account_dir(paths, k_pebble, k_ec_id)));
  REQUIRE(load_accounts(paths, k_pebble).size() == 1);
  CHECK(load_accounts(paths, k_pebble)[0].id == k_rsa_id);
  CHECK(load_accounts(paths, k_letsencrypt).size() == 1); // other servers untouched
  // No hidden leftovers of the removal.
  for (const auto& entry :
       std::filesystem::directory_iterator(server_accounts_dir(paths, k_pebble)))
    CHECK(entry.path().filename().string() == k_rsa_id);

  delete_account(paths, k_pebble, k_rsa_id);
  CHECK_FALSE(std::filesystem::exists(server_accounts_dir(paths, k_pebble)));
  CHECK(std::filesystem::exists(paths.accounts_dir()));
}

TEST_CASE("accounts: delete refuses missing accounts, bad ids and symlinks", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  CHECK_THROWS_AS(delete_account(paths, k_pebble, k_ec_id), StorageError);
  for (const char* id : {"../../config", "", "..", "6f1d25935e7421d8a9a1b800427025f5/.."}) {
    CAPTURE(id);
    CHECK_THROWS_AS(delete_account(paths, k_pebble, id), UsageError);
  }

  // A symlink in place of an account directory: neither it nor its target goes.
  auto victim = tree.root() / "victim";
  std::filesystem::create_directories(victim);
  spit(victim / "keep", "x");
  auto server_dir = server_accounts_dir(paths, k_pebble);
  std::filesystem::create_directories(server_dir);
  std::filesystem::create_directory_symlink(victim, server_dir / k_ec_id);
  CHECK_THROWS_AS(delete_account(paths, k_pebble, k_ec_id), StorageError);
  CHECK(std::filesystem::exists(victim / "keep"));
  CHECK(std::filesystem::is_symlink(server_dir / k_ec_id));

  // A symlink inside an account directory is removed, its target is not.
  std::filesystem::remove(server_dir / k_ec_id);
  save_account(paths, make_account(k_pebble));
  std::filesystem::create_directory_symlink(victim, account_dir(paths, k_pebble, k_ec_id) / "link");
  delete_account(paths, k_pebble, k_ec_id);
  CHECK(std::filesystem::exists(victim / "keep"));
}

TEST_CASE("accounts: moving to a new key is save under the new id, then delete the old",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto old_account = make_account(k_pebble);
  save_account(paths, old_account);
  auto moved = old_account;
  moved.id.clear();
  moved.key = PrivateKey::from_pem(k_rsa_key);
  CHECK(save_account(paths, moved) == k_rsa_id);
  CHECK(load_accounts(paths, k_pebble).size() == 2);
  delete_account(paths, k_pebble, k_ec_id);
  auto all = load_accounts(paths, k_pebble);
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == k_rsa_id);
  CHECK(all[0].uri == old_account.uri);
  CHECK(all[0].creation_dt == old_account.creation_dt);
  CHECK(mode_of(account_dir(paths, k_pebble, k_rsa_id)) == 0700);
  CHECK(mode_of(account_dir(paths, k_pebble, k_rsa_id) / "private_key.json") == 0400);
}

namespace {

// josepy's JWKRSA(key).json_dumps() of k_rsa_key: the private_key.json certbot writes.
const std::string k_rsa_certbot_jwk =
    R"({"n": "pFrbB4uVB6v8uQHmI5q4C9J3vampk7OqXEnjXRH0mY-KEuqhvf6R0u2du79gwBvQgkGTfdy53sc2g4f0Rl3YkELd5QOJ_a-KXIYVFZJivHmRqAZNHuSCszrXtyh5lBPTpP97F7Etvfy18WpF2CSiwQtXY3bzFpeTWBGAfmuc2l25WrSG0Ep66dNlZCDO1i8v3hXDyegRz6ltRAY6ojQplU99DF1yPzaVWhVTwxSG0jJNE-76cLA64xCrFwnyEqvAsbyVoe0_nbkd--rMObeE3Ju1TyWADY9NLOHQ8tFx3-rxnZNl8tvyW1QApQFeJg1_Bj1yTeB4xFGAMfAh_KMu5Q", "e": "AQAB", "d": "ROdQR0gGCUrZ72gz5z5gpZgtmiaskN80b2-MsgKqlMyAOvECMSiuUwtKYyFXOwMONeWvI4erpxHGsXsIdo22krht1arXqbLz41lVMo-F9HVVEufdYjOz9dcYA9IksmdjhhuTq_mcbzeowZbnxDeLwjnyf6EpRZHzdGsV_yo3frY6GD9cp5TqXjZdpN3XUZT48sAyLxZlDxvoHT8F_LfBrGY5Zwm7cZRONNhSzzepiWRtpj27AFC8iAsbIPMrpOSRoaFNX7PkrYqOr_NGrfsag0ZxZ1qqqWAf4NkJf6fC0TWrVYp2Ts7Dg3_eCWnpLsLBKmCgxJARQsCYvvCL_VeMWw", "p": "51NACsvGBeGAJPBN6mdHYxkNft458s-QRmlggpwfEc219-dSJtGY9NDp7rqfu20nwAoVj9MMvF6v1oKriOu5Y9fTp3_gLR6gJ4mE4e6DDOtMZqnJ0uuMCmId_WzJDh672HRSVJQ0afvOHGR3R2woJtb7GM2Yn7OThbo6Hc6ujbM", "q": "teLcgmaMuN8K1WvgTsE0CgZXWefI5d242FqIK9UAMesNpjWt12QiCd4Wg1Btvlhdf6XWZ5nmcOugrRxOh0PuX-fMTqDnpTkDuellQKGIWTES4wzyvmI094H-A8pfmJbTxgGRkk-EhQVloTq_x4NDkTl1gDCV_DZYARP1_-A79Qc", "dp": "rRwrzOh5pGUAlKQQat4nGg3hf5OmIgMaoNazForm5VfgWUiOveYUZQECT1jxuD0Thi8Fu7_gxAbH5-uZmrls3z7gcXTMunc0uuG6w6jOAZkEb7-X_XOwNQUAFGqYeyycvnsuMYVHRBjgQXcdnCFgWtB-0CzrjnfAak7Wtv-4uOk", "dq": "oUNE8zDtL7RBrLv6opjWBNVeeU3yZyvQibKq7QHrLFcVQPpy6XfUXh9UopSa2JsMOvLUSALBt_iR-yoPzgpCvTGNiWFMQMduMFVo-oa9lybVcg2242m7QH82sjGp1GZV2UbmxGxQOIhydSLbio8tRwNE1KU_NeEQ4dPK1lT_k90", "qi": "byhRIrWIXyuMmEsE8fG8-Df5Ph7TShJ6Egw_ig4TRYgYj7Mc7qLXNSSzb-xtuAHOfqaNx0d7r0f_-27Qmrcq4eeh7y_uZPHiatKgNkuMhlJ9PuKowBQpKFyqAv7IyczHOcnWrLy2VvWiuYvijymZEBLAOcuZuH9AfyEiKXQuC9g", "kty": "RSA"})";

const std::string k_v1 = "https://acme-v01.api.letsencrypt.org/directory";
const std::string k_staging = "https://acme-staging-v02.api.letsencrypt.org/directory";

// An account as certbot 0.x wrote it for ACME v1: regr.json with the legacy keys.
void write_certbot_v1_account(const std::filesystem::path& dir, const std::string& jwk) {
  std::filesystem::create_directories(dir);
  spit(dir / "private_key.json", jwk);
  spit(
      dir / "regr.json",
      R"({"body": {"contact": ["mailto:old@example.com"], "agreement": "https://letsencrypt.org/documents/LE-SA-v1.1.1-August-1-2016.pdf", "key": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, "uri": "https://acme-v01.api.letsencrypt.org/acme/reg/123", "new_authzr_uri": "https://acme-v01.api.letsencrypt.org/acme/new-authz", "terms_of_service": "https://letsencrypt.org/documents/LE-SA-v1.1.1-August-1-2016.pdf"})");
  spit(dir / "meta.json", R"({"creation_dt": "2017-05-01T10:00:00Z", "creation_host": "old"})");
}

} // namespace

TEST_CASE("accounts: certbot's RSA private_key.json and legacy regr.json keys load",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  write_certbot_v1_account(server_accounts_dir(paths, k_pebble) / k_rsa_id, k_rsa_certbot_jwk);
  auto account = load_account(paths, k_pebble, k_rsa_id);
  REQUIRE(account);
  CHECK(account->uri == "https://acme-v01.api.letsencrypt.org/acme/reg/123");
  CHECK(account->key.public_key_der() == PrivateKey::from_pem(k_rsa_key).public_key_der());
  CHECK(account_id_for_key(account->key) == k_rsa_id);
}

TEST_CASE("accounts: a v1-only account serves ACME v2 and v2's directory is linked to it",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto v1_dir = server_accounts_dir(paths, k_v1);
  write_certbot_v1_account(v1_dir / k_ec_id, k_ec_certbot_jwk);
  auto v2_dir = server_accounts_dir(paths, k_letsencrypt);
  CHECK(v2_dir == paths.accounts_dir() / "acme-v02.api.letsencrypt.org" / "directory");

  auto found = load_accounts(paths, k_letsencrypt);
  REQUIRE(found.size() == 1);
  CHECK(found[0].id == k_ec_id);
  CHECK(found[0].server == k_letsencrypt);
  // certbot's _symlink_to_accounts_dir: an absolute link to v1's directory.
  REQUIRE(std::filesystem::is_symlink(v2_dir));
  CHECK(std::filesystem::read_symlink(v2_dir) == std::filesystem::absolute(v1_dir));
  // From now on the account is found through the link, and saved through it.
  CHECK(load_accounts(paths, k_letsencrypt).size() == 1);
  CHECK(load_account(paths, k_letsencrypt, k_ec_id));
  auto updated = *load_account(paths, k_letsencrypt, k_ec_id);
  updated.uri = "https://acme-v02.api.letsencrypt.org/acme/acct/123";
  save_account(paths, updated);
  CHECK_THAT(slurp(v1_dir / k_ec_id / "regr.json"), Catch::Contains("acme/acct/123"));

  // Other servers never look at v1.
  CHECK(load_accounts(paths, k_pebble).empty());
}

TEST_CASE("accounts: staging v2 reuses staging v1; an empty v2 directory is replaced",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto v1_dir = paths.accounts_dir() / "acme-staging.api.letsencrypt.org" / "directory";
  write_certbot_v1_account(v1_dir / k_ec_id, k_ec_certbot_jwk);
  auto v2_dir = server_accounts_dir(paths, k_staging);
  std::filesystem::create_directories(v2_dir);
  auto account = load_account(paths, k_staging, k_ec_id);
  REQUIRE(account);
  CHECK(account->id == k_ec_id);
  CHECK(std::filesystem::is_symlink(v2_dir));
}

TEST_CASE("accounts: an id found under v1 while v2 has other accounts gets its own link",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto v1_dir = server_accounts_dir(paths, k_v1);
  write_certbot_v1_account(v1_dir / k_ec_id, k_ec_certbot_jwk);
  save_account(paths, make_account(k_letsencrypt, k_rsa_key)); // v2 already has an account
  auto v2_dir = server_accounts_dir(paths, k_letsencrypt);

  // Listing finds v2's own account and does not fall back.
  auto all = load_accounts(paths, k_letsencrypt);
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == k_rsa_id);
  // Asking for the v1 account by id (a renewal conf's account =) finds it and links it alone.
  auto account = load_account(paths, k_letsencrypt, k_ec_id);
  REQUIRE(account);
  CHECK_FALSE(std::filesystem::is_symlink(v2_dir));
  REQUIRE(std::filesystem::is_symlink(v2_dir / k_ec_id));
  CHECK(std::filesystem::read_symlink(v2_dir / k_ec_id) ==
        std::filesystem::absolute(v1_dir / k_ec_id));
  CHECK(load_accounts(paths, k_letsencrypt).size() == 2);
}

TEST_CASE("accounts: a server directory linked inside accounts/ is followed", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  save_account(paths, make_account(k_pebble));

  auto other = paths.accounts_dir() / "127.0.0.1:14001" / "dir";
  std::filesystem::create_directories(other.parent_path());
  std::filesystem::create_directory_symlink(std::filesystem::path("../127.0.0.1:14000/dir"), other);
  auto all = load_accounts(paths, "https://127.0.0.1:14001/dir");
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == k_ec_id);
  CHECK(load_account(paths, "https://127.0.0.1:14001/dir", k_ec_id));
}

TEST_CASE("accounts: links leading out of accounts/ are refused, nothing written there",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  // Somewhere outside the tree holding a valid-looking account.
  auto outside = tree.root() / "outside";
  write_certbot_v1_account(outside / k_ec_id, k_ec_certbot_jwk);
  auto server_dir = server_accounts_dir(paths, k_pebble);
  std::filesystem::create_directories(server_dir.parent_path());
  std::filesystem::create_directory_symlink(outside, server_dir);

  CHECK_THAT(error_of([&] { load_accounts(paths, k_pebble); }),
             Catch::Contains("leads out of") && Catch::Contains(server_dir.string()));
  CHECK_THAT(error_of([&] { load_account(paths, k_pebble, k_ec_id); }),
             Catch::Contains("leads out of"));
  CHECK_THAT(error_of([&] { save_account(paths, make_account(k_pebble, k_rsa_key)); }),
             Catch::Contains("leads out of"));
  CHECK_FALSE(std::filesystem::exists(outside / k_rsa_id));

  // One account directory linked out, its server directory real.
  std::filesystem::remove(server_dir);
  std::filesystem::create_directories(server_dir);
  std::filesystem::create_directory_symlink(outside / k_ec_id, server_dir / k_ec_id);
  CHECK_THAT(error_of([&] { load_account(paths, k_pebble, k_ec_id); }),
             Catch::Contains("leads out of"));

  // A v1 directory linked out is not reused either.
  auto v1_dir = server_accounts_dir(paths, k_v1);
  std::filesystem::create_directories(v1_dir.parent_path());
  std::filesystem::create_directory_symlink(outside, v1_dir);
  CHECK_THAT(error_of([&] { load_accounts(paths, k_letsencrypt); }),
             Catch::Contains("leads out of"));
  CHECK_FALSE(std::filesystem::exists(server_accounts_dir(paths, k_letsencrypt)));
}

TEST_CASE("accounts: a truncated or non-JWK private_key.json is named", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto dir = server_accounts_dir(paths, k_pebble) / k_rsa_id;
  write_certbot_v1_account(dir, k_rsa_certbot_jwk.substr(0, k_rsa_certbot_jwk.size() / 2));
  auto key_file = (dir / "private_key.json").string();
  auto load = [&] { load_account(paths, k_pebble, k_rsa_id); };
  CHECK(error_of(load) == key_file + ": not valid JSON");
  spit(dir / "private_key.json", R"({"kty": "oct", "k": "c2VjcmV0"})");
  CHECK_THAT(error_of(load), Catch::StartsWith(key_file + ": not a usable private key"));
  spit(dir / "private_key.json", "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n");
  CHECK(error_of(load) == key_file + ": not valid JSON");
  spit(dir / "private_key.json", "");
  CHECK(error_of(load) == key_file + ": not valid JSON");
  // The public half alone is not an account key.
  auto public_only = nlohmann::json::parse(k_rsa_certbot_jwk);
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"})
    public_only.erase(member);
  spit(dir / "private_key.json", public_only.dump());
  CHECK_THAT(error_of(load), Catch::StartsWith(key_file + ": not a usable private key"));
}

TEST_CASE("accounts: deleting a v2 account reused from v1 removes it as certbot does",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto v1_dir = server_accounts_dir(paths, k_v1);
  auto v2_dir = server_accounts_dir(paths, k_letsencrypt);

  SECTION("the whole v2 directory is a link: the account goes, then the empty link and v1 dir") {
    write_certbot_v1_account(v1_dir / k_ec_id, k_ec_certbot_jwk);
    write_certbot_v1_account(v1_dir / k_rsa_id, k_rsa_certbot_jwk);
    REQUIRE(load_accounts(paths, k_letsencrypt).size() == 2);
    REQUIRE(std::filesystem::is_symlink(v2_dir));
    delete_account(paths, k_letsencrypt, k_ec_id);
    CHECK_FALSE(std::filesystem::exists(v1_dir / k_ec_id));
    CHECK(std::filesystem::is_symlink(v2_dir)); // v1 still holds an account
    delete_account(paths, k_letsencrypt, k_rsa_id);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(v2_dir)));
    CHECK_FALSE(std::filesystem::exists(v1_dir));
  }
  SECTION("one account linked alone: the link and the v1 account go, v2's own stays") {
    write_certbot_v1_account(v1_dir / k_ec_id, k_ec_certbot_jwk);
    save_account(paths, make_account(k_letsencrypt, k_rsa_key));
    REQUIRE(load_account(paths, k_letsencrypt, k_ec_id));
    REQUIRE(std::filesystem::is_symlink(v2_dir / k_ec_id));
    delete_account(paths, k_letsencrypt, k_ec_id);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(v2_dir / k_ec_id)));
    CHECK_FALSE(std::filesystem::exists(v1_dir / k_ec_id));
    CHECK(load_accounts(paths, k_letsencrypt).size() == 1);
  }
  SECTION("any other link in an account's place is still refused") {
    auto victim = tree.root() / "victim";
    write_certbot_v1_account(victim / k_ec_id, k_ec_certbot_jwk);
    std::filesystem::create_directories(v2_dir);
    std::filesystem::create_directory_symlink(victim / k_ec_id, v2_dir / k_ec_id);
    CHECK_THROWS_AS(delete_account(paths, k_letsencrypt, k_ec_id), StorageError);
    CHECK(std::filesystem::exists(victim / k_ec_id / "private_key.json"));
  }
}

TEST_CASE("accounts: a reuse link is checked before it is removed", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto v1_dir = server_accounts_dir(paths, k_v1);
  auto v2_dir = server_accounts_dir(paths, k_letsencrypt);
  auto victim = tree.root() / "victim";
  write_certbot_v1_account(victim / k_ec_id, k_ec_certbot_jwk);
  std::filesystem::create_directories(v2_dir);
  // v2's link names v1's account, as certbot makes it ...
  auto link = v2_dir / k_ec_id;
  std::filesystem::create_directory_symlink(std::filesystem::absolute(v1_dir / k_ec_id), link);

  SECTION("... but v1's account is itself a link out of the tree") {
    std::filesystem::create_directories(v1_dir);
    std::filesystem::create_directory_symlink(victim / k_ec_id, v1_dir / k_ec_id);
  }
  SECTION("... but v1's whole directory leads out of the tree") {
    std::filesystem::create_directories(v1_dir.parent_path());
    std::filesystem::create_directory_symlink(victim, v1_dir);
  }
  SECTION("... but v1's account is a plain file") {
    std::filesystem::create_directories(v1_dir);
    spit(v1_dir / k_ec_id, "not an account\n");
  }
  SECTION("... but v1's account does not exist") {}
  CHECK_THROWS_AS(delete_account(paths, k_letsencrypt, k_ec_id), StorageError);
  CHECK(std::filesystem::is_symlink(link)); // nothing removed
  CHECK(std::filesystem::exists(victim / k_ec_id / "private_key.json"));
}

TEST_CASE("accounts: no directory is created through a link out of accounts/",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  auto outside = tree.root() / "outside";
  std::filesystem::create_directories(outside);
  // accounts/127.0.0.1:14000 leads out; saving would create its dir/ there.
  auto host_dir = server_accounts_dir(paths, k_pebble).parent_path();
  std::filesystem::create_directories(host_dir.parent_path());
  std::filesystem::create_directory_symlink(outside, host_dir);
  CHECK_THAT(error_of([&] { save_account(paths, make_account(k_pebble)); }),
             Catch::Contains("leads out of"));
  CHECK(std::filesystem::is_empty(outside));
}
