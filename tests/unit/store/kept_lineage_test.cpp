// delete keeping a lineage's certificate for reuse (kept_lineage.hpp): what is
// kept, crash points between the steps, and kept dirs that must not be trusted.
#include "store/fault_injection.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

using certsmith::StorageError;
using certsmith::UsageError;
using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

RenewalParams standalone_params() {
  RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://127.0.0.1:14000/dir";
  params.key_type = "ecdsa";
  return params;
}

std::set<std::string> listing(const fs::path& root) {
  std::set<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it)
    paths.insert(fs::relative(it->path(), root).string());
  return paths;
}

struct KeepFixture {
  TempTree tree;
  TreePaths paths = tree.paths();
  CertificateFiles files = make_certificate_files("a.example.com");
  KeepFixture() {
    create_lineage(paths, "a.example.com", files, standalone_params());
    create_lineage(paths, "b.example.com", make_certificate_files("b.example.com"),
                   standalone_params());
  }
  bool lineage_whole(const std::string& name) const {
    try {
      Lineage lineage = Lineage::load(paths, name);
      return lineage.read_current().cert_pem == files.cert_pem;
    } catch (const certsmith::Error&) {
      return false;
    }
  }
  bool kept_whole(const std::string& name) const {
    try {
      KeptEntry entry = read_kept(paths, name);
      return entry.files.cert_pem == files.cert_pem &&
             entry.files.privkey_pem == files.privkey_pem &&
             entry.files.chain_pem == files.chain_pem &&
             entry.files.fullchain_pem == files.fullchain_pem &&
             entry.params.authenticator == "standalone";
    } catch (const certsmith::Error&) {
      return false;
    }
  }
};

struct FaultAt {
  explicit FaultAt(std::string step) {
    testing::set_fault_hook([step](std::string_view at) {
      if (at == step)
        throw StorageError("injected fault at " + step);
    });
  }
  ~FaultAt() { testing::set_fault_hook(nullptr); }
};

} // namespace

TEST_CASE_METHOD(KeepFixture, "keep: the lineage leaves certbot's tree and is kept whole",
                 "[store][kept]") {
  keep_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.renewal_conf("a.example.com"))));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_live_dir("a.example.com"))));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_archive_dir("a.example.com"))));
  CHECK_NOTHROW(Lineage::load(paths, "b.example.com"));
  CHECK(kept_whole("a.example.com"));
  CHECK(list_kept(paths) == std::vector<std::string>{"a.example.com"});
  CHECK((mode_of(kept_dir(paths)) & 0777) == 0700);
  CHECK((mode_of(paths.config_dir / "certsmith") & 0777) == 0700);
  CHECK((mode_of(kept_dir(paths) / "a.example.com") & 0777) == 0700);
  CHECK((mode_of(kept_dir(paths) / "a.example.com" / "privkey.pem") & 0777) == 0600);
  CHECK((mode_of(kept_dir(paths) / "a.example.com" / "renewal.conf") & 0777) == 0600);
}

TEST_CASE_METHOD(KeepFixture, "keep: a second keep of the same name replaces the first",
                 "[store][kept]") {
  keep_lineage(paths, "a.example.com");
  files = make_certificate_files("a.example.com");
  create_lineage(paths, "a.example.com", files, standalone_params());
  keep_lineage(paths, "a.example.com");
  CHECK(kept_whole("a.example.com"));
  CHECK(list_kept(paths) == std::vector<std::string>{"a.example.com"});
}

TEST_CASE_METHOD(KeepFixture, "keep: a crash before publishing leaves the lineage whole",
                 "[store][kept]") {
  {
    FaultAt crash("keep:staged");
    CHECK_THROWS_AS(keep_lineage(paths, "a.example.com"), StorageError);
  }
  CHECK(lineage_whole("a.example.com"));
  CHECK(list_kept(paths).empty()); // the .partial staging entry is not a kept entry
  CHECK_FALSE(fs::exists(kept_dir(paths) / "a.example.com"));
  keep_lineage(paths, "a.example.com"); // and the next keep clears it
  CHECK(kept_whole("a.example.com"));
  CHECK_FALSE(fs::exists(kept_dir(paths) / ".a.example.com.partial"));
}

TEST_CASE_METHOD(KeepFixture, "keep: a crash after publishing leaves the kept entry whole",
                 "[store][kept]") {
  for (const char* step : {"keep:published", "delete:conf-removed", "delete:live-removed"}) {
    CAPTURE(step);
    if (!fs::exists(paths.renewal_conf("a.example.com")))
      create_lineage(paths, "a.example.com", files, standalone_params());
    {
      FaultAt crash(step);
      CHECK_THROWS_AS(keep_lineage(paths, "a.example.com"), StorageError);
    }
    CHECK(kept_whole("a.example.com"));
    // Whatever the lineage's state, certbot's rule holds: no conf naming missing files.
    if (fs::exists(paths.renewal_conf("a.example.com")))
      CHECK(lineage_whole("a.example.com"));
    remove_kept(paths, "a.example.com");
    if (!fs::exists(paths.renewal_conf("a.example.com"))) {
      fs::remove_all(paths.lineage_live_dir("a.example.com"));
      fs::remove_all(paths.lineage_archive_dir("a.example.com"));
    }
  }
}

TEST_CASE_METHOD(KeepFixture, "keep: hostile names are refused before anything is written",
                 "[store][kept]") {
  auto before = listing(tree.root());
  for (const char* name : {"../x", "a/b", ".hidden", "..", ".", "", "../renewal/b.example.com"}) {
    CAPTURE(name);
    CHECK_THROWS_AS(keep_lineage(paths, name), UsageError);
    CHECK_THROWS_AS(read_kept(paths, name), UsageError);
    CHECK_THROWS_AS(remove_kept(paths, name), UsageError);
  }
  CHECK(listing(tree.root()) == before);
}

TEST_CASE_METHOD(KeepFixture, "keep: a refused delete keeps nothing", "[store][kept]") {
  // archive_dir pointing at another lineage's archive: certbot's overlap refusal.
  std::string conf = slurp(paths.renewal_conf("a.example.com"));
  auto at = conf.find("archive_dir = ");
  REQUIRE(at != std::string::npos);
  conf.replace(at, conf.find('\n', at) - at,
               "archive_dir = " + paths.lineage_archive_dir("b.example.com").string());
  spit(paths.renewal_conf("a.example.com"), conf);
  auto before = listing(tree.root());
  CHECK_THROWS_AS(keep_lineage(paths, "a.example.com"), SharedArchiveDir);
  CHECK(listing(tree.root()) == before);
}

TEST_CASE_METHOD(KeepFixture, "keep: a symlinked kept dir is neither followed nor used",
                 "[store][kept]") {
  fs::path outside = tree.root() / "outside";
  fs::create_directories(outside);
  fs::create_directories(paths.config_dir / "certsmith");
  fs::permissions(paths.config_dir / "certsmith", fs::perms(0700));
  fs::create_directory_symlink(outside, kept_dir(paths));
  CHECK_THROWS_AS(keep_lineage(paths, "a.example.com"), KeptDirUnsafe);
  CHECK(fs::is_empty(outside));
  CHECK(lineage_whole("a.example.com"));
  CHECK_THROWS_AS(list_kept(paths), KeptDirUnsafe);
}

TEST_CASE_METHOD(KeepFixture, "keep: a kept dir another user owns or can write is not trusted",
                 "[store][kept]") {
  keep_lineage(paths, "b.example.com");
  SECTION("group-writable") {
    fs::permissions(kept_dir(paths), fs::perms(0770));
  }
  SECTION("another user's") {
    if (::geteuid() != 0) {
      WARN("not root: cannot chown, so this section tests nothing");
      return;
    }
    REQUIRE(::chown(kept_dir(paths).c_str(), 65534, 65534) == 0);
  }
  CHECK_THROWS_AS(list_kept(paths), KeptDirUnsafe);
  CHECK_THROWS_AS(read_kept(paths, "b.example.com"), KeptDirUnsafe);
  CHECK_THROWS_AS(keep_lineage(paths, "a.example.com"), KeptDirUnsafe);
  CHECK(lineage_whole("a.example.com"));
}

TEST_CASE_METHOD(KeepFixture, "keep: a kept entry that is a link or holds links is refused",
                 "[store][kept]") {
  keep_lineage(paths, "a.example.com");
  fs::path outside = tree.root() / "outside";
  fs::create_directories(outside);
  SECTION("the entry is a link") {
    fs::rename(kept_dir(paths) / "a.example.com", outside / "a");
    fs::create_directory_symlink(outside / "a", kept_dir(paths) / "a.example.com");
    CHECK_THROWS_AS(read_kept(paths, "a.example.com"), KeptDirUnsafe);
    remove_kept(paths, "a.example.com"); // the link goes, not what it points at
    CHECK(fs::exists(outside / "a" / "cert.pem"));
    CHECK_FALSE(fs::exists(fs::symlink_status(kept_dir(paths) / "a.example.com")));
  }
  SECTION("a file in it is a link") {
    spit(outside / "key", "not a key");
    fs::remove(kept_dir(paths) / "a.example.com" / "privkey.pem");
    fs::create_symlink(outside / "key", kept_dir(paths) / "a.example.com" / "privkey.pem");
    CHECK_THROWS_AS(read_kept(paths, "a.example.com"), StorageError);
  }
}

TEST_CASE_METHOD(KeepFixture, "keep: an archive file that is a link is refused, the lineage stays",
                 "[store][kept]") {
  fs::path outside = tree.root() / "outside-key";
  spit(outside, "someone else's file");
  const fs::path key = paths.lineage_archive_dir("a.example.com") / "privkey1.pem";
  fs::remove(key);
  fs::create_symlink(outside, key);
  CHECK_THROWS_WITH(keep_lineage(paths, "a.example.com"),
                    Catch::Contains("not a regular file") && Catch::Contains("--purge"));
  CHECK(fs::exists(paths.renewal_conf("a.example.com")));
  CHECK(list_kept(paths).empty());
  CHECK(slurp(outside) == "someone else's file");
}
