#include "crypto/certificate.hpp"
#include "renew/expiry_index.hpp"
#include "renew_fixtures.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace certsmith;
using namespace certsmith::renew;
using renew::test::CertSpec;
using renew::test::make_files;

namespace {

struct Fixture {
  renew::test::TempTree tree;
  store::TreePaths paths = tree.paths();
  std::filesystem::path index_path = ExpiryIndex::default_path(paths);

  store::Lineage make_lineage(const std::string& name, const CertSpec& spec = {}) {
    return store::create_lineage(paths, name, make_files(spec), store::RenewalParams{});
  }
};

} // namespace

TEST_CASE_METHOD(Fixture, "facts come from the certificate, then from the index") {
  CertSpec spec;
  spec.dns_names = {"example.com", "www.example.com"};
  spec.serial_hex = "87654321";
  auto lineage = make_lineage("example.com", spec);

  auto index = ExpiryIndex::load(index_path);
  CHECK(index.size() == 0);
  const auto& facts = index.facts_for(lineage);
  CHECK(facts.not_before == spec.not_before);
  CHECK(facts.not_after == spec.not_after);
  CHECK(facts.names == spec.dns_names);
  CHECK(facts.serial_hex == "87654321");
  CHECK(facts.serial_der == std::string("\x00\x87\x65\x43\x21", 5));
  CHECK(facts.authority_key_id == spec.authority_key_id);
  CHECK(index.misses() == 1);
  IndexedCertificate first = facts;
  index.save();
  CHECK(std::filesystem::status(index_path).permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  auto again = ExpiryIndex::load(index_path);
  CHECK(again.size() == 1);
  CHECK(again.facts_for(lineage) == first);
  CHECK(again.hits() == 1);
  CHECK(again.misses() == 0);
  CHECK_FALSE(again.dirty()); // nothing to write on a run where nothing changed
}

TEST_CASE_METHOD(Fixture, "a renewal (new archive file) invalidates the entry") {
  auto lineage = make_lineage("example.com");
  auto index = ExpiryIndex::load(index_path);
  CHECK(index.facts_for(lineage).serial_hex == "a1b2c");
  index.save();

  CertSpec next;
  next.serial_hex = "0B0C";
  next.not_before += std::chrono::hours(24 * 60);
  next.not_after += std::chrono::hours(24 * 60);
  store::save_successor(lineage, make_files(next), store::RenewalParams{});

  auto again = ExpiryIndex::load(index_path);
  const auto& facts = again.facts_for(lineage);
  CHECK(facts.serial_hex == "b0c");
  CHECK(facts.not_after == next.not_after);
  CHECK(again.misses() == 1);
  CHECK(again.dirty());
}

TEST_CASE_METHOD(Fixture, "a certificate rewritten in place invalidates the entry") {
  auto lineage = make_lineage("example.com");
  auto index = ExpiryIndex::load(index_path);
  index.facts_for(lineage);
  CertSpec other;
  other.serial_hex = "77";
  auto target = std::filesystem::canonical(lineage.cert_path());
  renew::test::spit(target, make_files(other).cert_pem); // same inode, new content
  CHECK(index.facts_for(lineage).serial_hex == "77");
  CHECK(index.misses() == 2);
}

TEST_CASE_METHOD(Fixture, "entries of deleted lineages are dropped") {
  auto a = make_lineage("a.example");
  auto b = make_lineage("b.example");
  auto index = ExpiryIndex::load(index_path);
  index.facts_for(a);
  index.facts_for(b);
  index.save();
  auto again = ExpiryIndex::load(index_path);
  again.retain({"b.example"});
  CHECK(again.size() == 1);
  CHECK(again.dirty());
  again.save();
  CHECK(ExpiryIndex::load(index_path).size() == 1);
}

TEST_CASE_METHOD(Fixture, "odd lineage names and SANs survive the index") {
  CertSpec spec;
  spec.dns_names = {"a.example", "b.example"};
  auto lineage = make_lineage("odd name, with%comma", spec);
  auto index = ExpiryIndex::load(index_path);
  index.facts_for(lineage);
  index.save();
  auto again = ExpiryIndex::load(index_path);
  CHECK(again.facts_for(lineage).names == spec.dns_names);
  CHECK(again.hits() == 1);
}

TEST_CASE_METHOD(Fixture, "a corrupt or truncated index is ignored and rebuilt") {
  auto lineage = make_lineage("example.com");
  {
    auto index = ExpiryIndex::load(index_path);
    index.facts_for(lineage);
    index.save();
  }
  const std::string good = renew::test::slurp(index_path);
  std::vector<std::string> hostile = {
      "",
      good.substr(0, good.size() / 2),
      good.substr(0, good.size() - 1),
      std::string(100000, '\n'),
      std::string(1 << 20, 'x'),
      "certsmith-expiry-index 1\nend 1\n",
      "certsmith-expiry-index 1\n" + std::string(1000, '\t') + "\nend 1\n",
  };
  // Every field of the one record replaced by garbage in turn.
  auto first_line_end = good.find('\n');
  auto record =
      good.substr(first_line_end + 1, good.find('\n', first_line_end + 1) - first_line_end - 1);
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    auto tab = record.find('\t', start);
    fields.push_back(record.substr(start, tab - start));
    if (tab == std::string::npos)
      break;
    start = tab + 1;
  }
  REQUIRE(fields.size() == 12);
  const std::vector<std::vector<std::string>> invalid = {
      {"", "%", "%g0"},                             // name
      {"", "-1", "1x", "99999999999999999999999"},  // device
      {"", "-1", "1.5", "99999999999999999999999"}, // inode
      {"", "x", "99999999999999999999999"},         // size
      {"", "1 ", "99999999999999999999999"},        // mtime
      {"", "0x1", "99999999999999999999999"},       // ctime
      {"", "x", "99999999999", "-99999999999"},     // not_before
      {"", "x", "99999999999"},                     // not_after
      {"", "%", "XYZ", "-1", "a1b2c%20"},           // serial hex
      {"", "!!", "a", "%"},                         // AKI
      {"", "!!", "a", "%"},                         // serial DER
      {"%", "a,%", "a,%4"},                         // names
  };
  for (std::size_t i = 0; i < fields.size(); ++i) {
    for (const auto& garbage : invalid[i]) {
      auto changed = fields;
      changed[i] = garbage;
      std::string line;
      for (std::size_t j = 0; j < changed.size(); ++j)
        line += (j ? "\t" : "") + changed[j];
      hostile.push_back("certsmith-expiry-index 1\n" + line + "\nend 1\n");
    }
  }
  // Two records for one lineage.
  hostile.push_back("certsmith-expiry-index 1\n" + record + "\n" + record + "\nend 2\n");

  for (const auto& text : hostile) {
    INFO(text.substr(0, 200));
    renew::test::spit(index_path, text);
    auto index = ExpiryIndex::load(index_path);
    CHECK(index.size() == 0);
    CHECK(index.facts_for(lineage).serial_hex == "a1b2c");
    CHECK(index.misses() == 1);
    index.save();
    CHECK(renew::test::slurp(index_path) == good);
  }
}

TEST_CASE_METHOD(Fixture, "a missing certificate is an error, not a stale answer") {
  auto lineage = make_lineage("example.com");
  auto index = ExpiryIndex::load(index_path);
  index.facts_for(lineage);
  std::filesystem::remove(std::filesystem::canonical(lineage.cert_path()));
  CHECK_THROWS_AS(index.facts_for(lineage), StorageError);
}
