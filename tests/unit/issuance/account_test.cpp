#include "issuance/account.hpp"
#include "store/account_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace certsmith;

namespace {

struct Tree {
  std::filesystem::path root;
  store::TreePaths paths;
  Tree() {
    char pattern[] = "/tmp/certsmith-account-XXXXXX";
    root = mkdtemp(pattern);
    paths = store::TreePaths::under(root);
  }
  ~Tree() { std::filesystem::remove_all(root); }
};

const std::string k_server = "https://ca.test/dir";

store::StoredAccount saved(const store::TreePaths& paths, const std::string& uri) {
  store::StoredAccount account{
      "", k_server, uri, crypto::PrivateKey::generate({}), nlohmann::json::object(), "", ""};
  account.id = store::save_account(paths, account);
  return account;
}

} // namespace

TEST_CASE("accounts sharing a URL are found past a stored account that cannot be read") {
  Tree tree;
  auto account = saved(tree.paths, "https://ca.test/acct/1");
  auto twin = saved(tree.paths, "https://ca.test/acct/1");
  auto other = saved(tree.paths, "https://ca.test/acct/2");
  auto broken = saved(tree.paths, "https://ca.test/acct/3");
  auto key_file = store::account_dir(tree.paths, k_server, broken.id) / "private_key.json";
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::ofstream(key_file, std::ios::trunc) << "{\"kty\": ";

  auto twins = issuance::accounts_sharing_url(tree.paths, account);
  REQUIRE(twins.size() == 1);
  CHECK(twins[0].id == twin.id);
  CHECK(other.id != twin.id);
}
