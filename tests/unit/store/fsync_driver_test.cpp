#include "store/lineage.hpp"
#include "store_fixtures.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

// Hidden drivers for measuring the syncs of a lineage write, e.g.
//   CERTSMITH_FSYNC_ROUNDS=20 strace -f -c -e trace=fsync,fdatasync unit_store "[.fsync-create]"
// The certificates are made before the first write, so the trace holds only the store's
// work. Each driver prints the wall time per round (median, min, max) on stderr.

using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::TempTree;

namespace {

int rounds() {
  const char* text = std::getenv("CERTSMITH_FSYNC_ROUNDS");
  return text ? std::max(1, std::atoi(text)) : 1;
}

RenewalParams params() {
  RenewalParams result;
  result.authenticator = "standalone";
  result.server = "https://acme.example/dir";
  result.account = "0123456789abcdef0123456789abcdef";
  return result;
}

void timed_rounds(const char* what, const std::function<void(int)>& round) {
  std::vector<double> ms;
  for (int i = 0; i < rounds(); ++i) {
    auto start = std::chrono::steady_clock::now();
    round(i);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::fprintf(stderr, "%s: %zu rounds, ms per round median %.2f min %.2f max %.2f\n", what,
               ms.size(), ms[ms.size() / 2], ms.front(), ms.back());
}

} // namespace

TEST_CASE("driver: create lineages (one per round)", "[.fsync-create]") {
  TempTree tree;
  auto files = make_certificate_files("driver.example");
  create_lineage(tree.paths(), "warm-up", files, params()); // live/README, top dirs
  timed_rounds("create_lineage", [&](int round) {
    create_lineage(tree.paths(), "driver-" + std::to_string(round), files, params());
  });
}

TEST_CASE("driver: save successors of one lineage (one per round)", "[.fsync-successor]") {
  TempTree tree;
  auto files = make_certificate_files("driver.example");
  auto lineage = create_lineage(tree.paths(), "driver", files, params());
  timed_rounds("save_successor, same options",
               [&](int) { save_successor(lineage, files, params()); });
}

TEST_CASE("driver: save successors with changed options (one per round)",
          "[.fsync-successor-conf]") {
  TempTree tree;
  auto files = make_certificate_files("driver.example");
  auto lineage = create_lineage(tree.paths(), "driver", files, params());
  timed_rounds("save_successor, new options", [&](int round) {
    auto changed = params();
    changed.renew_hook = "reload " + std::to_string(round);
    save_successor(lineage, files, changed);
  });
}
