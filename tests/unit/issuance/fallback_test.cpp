#include "crypto/private_key.hpp"
#include "crypto/self_signed.hpp"
#include "issuance/fallback.hpp"
#include "store/config_obj.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fallback_test.XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

// A user's fallback: a certificate for `names` and its key, in dir.
std::pair<std::string, std::string> user_files(const fs::path& dir, std::vector<std::string> names,
                                               std::chrono::hours valid_for = 24h * 30) {
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::ecdsa, "secp256r1", 0});
  crypto::SelfSignedRequest request;
  request.dns_names = std::move(names);
  request.not_before = std::chrono::system_clock::now() - 48h;
  request.not_after = std::chrono::system_clock::now() + valid_for;
  write(dir / "cert.pem", crypto::make_self_signed_certificate(key, request), 0644);
  write(dir / "key.pem", key.to_pem(), 0600);
  return {(dir / "cert.pem").string(), (dir / "key.pem").string()};
}

std::vector<acme::Identifier> dns(std::initializer_list<const char*> names) {
  std::vector<acme::Identifier> out;
  for (const char* name : names)
    out.push_back({"dns", name});
  return out;
}

} // namespace

TEST_CASE("the live kind is read from the renewal conf; unknown values count as placeholders",
          "[fallback]") {
  store::RenewalParams params;
  CHECK(issuance::live_kind_of(params) == issuance::LiveKind::real);
  CHECK_FALSE(issuance::placeholder_is_live(params));
  params.certsmith_live_kind = "self-signed-bootstrap";
  CHECK(issuance::live_kind_of(params) == issuance::LiveKind::self_signed_bootstrap);
  params.certsmith_live_kind = "self-signed-fallback";
  CHECK(issuance::live_kind_name(issuance::live_kind_of(params)) == "self-signed-fallback");
  params.certsmith_live_kind = "something-else";
  CHECK(issuance::placeholder_is_live(params));
}

TEST_CASE("the fallback keys survive a round trip through a renewal conf", "[fallback]") {
  store::RenewalParams params;
  params.certsmith_live_kind = "user-fallback";
  params.certsmith_names = {"a.example.com", "b.example.com"};
  params.certsmith_fallback_self_signed = true;
  params.certsmith_fallback_cert = "/etc/ssl/wild.pem";
  params.certsmith_fallback_key = "/etc/ssl/wild.key";
  store::ConfigObj conf = store::ConfigObj::parse("version = 2.1.0\n", "test.conf");
  store::write_renewal_params(conf, params);
  auto back = store::read_renewal_params(store::ConfigObj::parse(conf.to_string(), "test.conf"));
  CHECK(back.certsmith_live_kind == "user-fallback");
  CHECK(back.certsmith_names == params.certsmith_names);
  CHECK(back.certsmith_fallback_self_signed == true);
  CHECK(back.certsmith_fallback_key == "/etc/ssl/wild.key");
  params.certsmith_live_kind.clear(); // a real issuance removes the key
  store::write_renewal_params(conf, params);
  CHECK(conf.to_string().find("certsmith_live_kind") == std::string::npos);
}

TEST_CASE("a user fallback must cover every name, match its key and be unexpired", "[fallback]") {
  TempDir dir;
  auto [cert, key] = user_files(dir.path, {"*.example.com", "example.com"});
  auto now = std::chrono::system_clock::now();
  store::RenewalParams params;
  issuance::record_fallback_settings(params, {false, false, cert, key},
                                     dns({"a.example.com", "example.com"}), now);
  CHECK(params.certsmith_fallback_cert == cert);

  // A wildcard stands for one label only.
  CHECK_THROWS_WITH(issuance::record_fallback_settings(params, {false, false, cert, key},
                                                       dns({"a.b.example.com"}), now),
                    Catch::Contains("does not cover a.b.example.com"));
  CHECK_THROWS_AS(issuance::record_fallback_settings(params, {false, false, cert, key},
                                                     dns({"example.org"}), now),
                  UsageError);
  // Expired by the time it would be used.
  CHECK_THROWS_WITH(issuance::record_fallback_settings(params, {false, false, cert, key},
                                                       dns({"example.com"}), now + 24h * 31),
                    Catch::Contains("has expired"));
  // Another key.
  TempDir other;
  auto [other_cert, other_key] = user_files(other.path, {"*.example.com"});
  CHECK_THROWS_WITH(issuance::record_fallback_settings(params, {false, false, cert, other_key},
                                                       dns({"a.example.com"}), now),
                    Catch::Contains("is not the key of"));
  // A key everybody can read.
  ::chmod(key.c_str(), 0644);
  CHECK_THROWS_WITH(issuance::record_fallback_settings(params, {false, false, cert, key},
                                                       dns({"a.example.com"}), now),
                    Catch::Contains("readable by every user"));
}

TEST_CASE("truncated, empty and missing fallback files are refused", "[fallback]") {
  TempDir dir;
  auto [cert, key] = user_files(dir.path, {"example.com"});
  auto now = std::chrono::system_clock::now();
  store::RenewalParams params;
  std::string text;
  {
    std::ifstream in(cert);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  write(dir.path / "half.pem", text.substr(0, text.size() / 2), 0644);
  write(dir.path / "empty.pem", "", 0644);
  write(dir.path / "half.key", "-----BEGIN PRIVATE KEY-----\nMIG\n", 0600);
  auto names = dns({"example.com"});
  for (const auto& [c, k] : std::vector<std::pair<std::string, std::string>>{
           {(dir.path / "half.pem").string(), key},
           {(dir.path / "empty.pem").string(), key},
           {cert, (dir.path / "half.key").string()},
           {(dir.path / "missing.pem").string(), key},
           {dir.path.string(), key},
       }) {
    CAPTURE(c, k);
    CHECK_THROWS_AS(issuance::record_fallback_settings(params, {false, false, c, k}, names, now),
                    UsageError);
  }
  CHECK_THROWS_WITH(
      issuance::record_fallback_settings(params, {false, false, cert, ""}, names, now),
      Catch::Contains("go together"));
  CHECK(params.certsmith_fallback_cert.empty());
}

TEST_CASE("while a fallback is live, renewal asks for the names the conf recorded", "[fallback]") {
  store::RenewalParams params;
  auto live = dns({"*.example.com"});
  CHECK(issuance::identifiers_to_renew(params, live)[0].value == "*.example.com");
  params.certsmith_live_kind = "user-fallback";
  params.certsmith_names = {"a.example.com", "192.0.2.1"};
  auto wanted = issuance::identifiers_to_renew(params, live);
  REQUIRE(wanted.size() == 2);
  CHECK(wanted[0].value == "a.example.com");
  CHECK(wanted[1].type == "ip");
}

TEST_CASE("no-fallback clears both fallbacks and is refused with a fallback flag", "[fallback]") {
  TempDir dir;
  auto [cert, key] = user_files(dir.path, {"*.example.com"});
  auto now = std::chrono::system_clock::now();
  store::RenewalParams params;
  issuance::record_fallback_settings(params, {false, true, cert, key, false},
                                     dns({"a.example.com"}), now);
  REQUIRE(params.certsmith_fallback_self_signed == true);
  REQUIRE_FALSE(params.certsmith_fallback_key.empty());
  CHECK_THROWS_WITH(issuance::record_fallback_settings(params, {false, true, "", "", true},
                                                       dns({"a.example.com"}), now),
                    Catch::Contains("--no-fallback cannot be combined"));
  CHECK(params.certsmith_fallback_self_signed == true);
  issuance::record_fallback_settings(params, {false, false, "", "", true}, dns({"a.example.com"}),
                                     now);
  CHECK_FALSE(params.certsmith_fallback_self_signed.has_value());
  CHECK(params.certsmith_fallback_cert.empty());
  CHECK(params.certsmith_fallback_key.empty());
}

TEST_CASE("fallback flags on a kept lineage are saved in its conf, bad ones refused unwritten",
          "[fallback]") {
  TempDir dir;
  auto paths = store::TreePaths::under(dir.path / "tree");
  auto now = std::chrono::system_clock::now();
  store::RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://ca.test/dir";
  params.key_type = "ecdsa";
  auto names = dns({"a.example.com"});
  auto lineage = issuance::create_bootstrap_lineage(paths, "a.example.com", names, params, now);
  auto conf_text = [&] {
    std::ifstream in(paths.renewal_conf("a.example.com"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string before = conf_text();

  auto [cert, key] = user_files(dir.path, {"*.example.org"});
  CHECK_THROWS_WITH(
      issuance::save_fallback_settings(lineage, {false, true, cert, key, false}, names, now),
      Catch::Contains("does not cover a.example.com"));
  CHECK(conf_text() == before);

  CHECK(issuance::save_fallback_settings(lineage, {false, true, "", "", false}, names, now));
  auto saved = store::Lineage::load(paths, "a.example.com");
  CHECK(saved.params().certsmith_fallback_self_signed == true);
  CHECK(saved.params().certsmith_live_kind == "self-signed-bootstrap"); // the rest kept
  CHECK_FALSE(issuance::save_fallback_settings(saved, {false, true, "", "", false}, names, now));
  CHECK(issuance::save_fallback_settings(saved, {false, false, "", "", true}, names, now));
  CHECK_FALSE(store::Lineage::load(paths, "a.example.com").params().certsmith_fallback_self_signed);
}

TEST_CASE("the live kind names and labels cover every kind", "[fallback]") {
  using issuance::LiveKind;
  for (auto kind : {LiveKind::real, LiveKind::self_signed_bootstrap, LiveKind::self_signed_fallback,
                    LiveKind::user_fallback}) {
    store::RenewalParams params;
    params.certsmith_live_kind =
        kind == LiveKind::real ? std::string() : std::string(issuance::live_kind_name(kind));
    CHECK(issuance::live_kind_of(params) == kind);
    CHECK_FALSE(issuance::live_kind_label(kind).empty());
  }
  CHECK(issuance::live_kind_label(LiveKind::user_fallback) == "user fallback");
}

TEST_CASE("a FIFO, a device or a huge file as a fallback file is refused without blocking",
          "[fallback]") {
  TempDir dir;
  auto [cert, key] = user_files(dir.path, {"example.com"});
  auto now = std::chrono::system_clock::now();
  auto names = dns({"example.com"});
  store::RenewalParams params;
  auto fifo = (dir.path / "fifo.pem").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(
      issuance::record_fallback_settings(params, {false, false, fifo, key, false}, names, now),
      Catch::Contains("not a regular file"));
  CHECK_THROWS_WITH(issuance::record_fallback_settings(
                        params, {false, false, cert, "/dev/zero", false}, names, now),
                    Catch::Contains("not a regular file"));
  write(dir.path / "huge.pem", std::string((1 << 20) + 1, 'A'), 0644);
  CHECK_THROWS_WITH(
      issuance::record_fallback_settings(
          params, {false, false, (dir.path / "huge.pem").string(), key, false}, names, now),
      Catch::Contains("larger than"));
  CHECK(params.certsmith_fallback_cert.empty());
}

TEST_CASE("a user fallback without intermediates has the leaf once in fullchain", "[fallback]") {
  TempDir dir;
  auto [cert, key] = user_files(dir.path, {"example.com"});
  auto fallback = issuance::load_user_fallback(cert, key, dns({"example.com"}),
                                               std::chrono::system_clock::now());
  CHECK(fallback.files.fullchain_pem == fallback.files.cert_pem);
  CHECK(fallback.files.chain_pem == fallback.files.cert_pem); // chain.pem is never empty
}
