#include "renew/ari_cache.hpp"
#include "renew_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace certsmith::renew;
using namespace std::chrono;

namespace {

const TimePoint k_now = TimePoint(seconds(1'800'000'000));
const std::string k_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

acme::RenewalInfo answer(std::optional<seconds> retry_after) {
  acme::RenewalInfo info;
  info.window_start = k_now + hours(24 * 50);
  info.window_end = k_now + hours(24 * 52);
  info.explanation_url = "https://ca.test/why";
  info.retry_after = retry_after;
  return info;
}

struct Fixture {
  renew::test::TempTree tree;
  std::filesystem::path path = AriCache::default_path(tree.paths());
};

} // namespace

TEST_CASE_METHOD(Fixture, "Retry-After is honoured across runs") {
  auto cache = AriCache::load(path);
  CHECK(cache.may_fetch(k_id, k_now));
  cache.record_answer(k_id, answer(seconds(3600)), k_now);
  cache.save();

  auto later = AriCache::load(path);
  REQUIRE(later.find(k_id) != nullptr);
  CHECK(later.find(k_id)->window->start == k_now + hours(24 * 50));
  CHECK(later.find(k_id)->explanation_url == "https://ca.test/why");
  CHECK_FALSE(later.may_fetch(k_id, k_now + minutes(59)));
  CHECK(later.may_fetch(k_id, k_now + minutes(60)));
  CHECK_FALSE(later.dirty());
}

TEST_CASE_METHOD(Fixture, "without Retry-After the CA is asked again after six hours") {
  auto cache = AriCache::load(path);
  cache.record_answer(k_id, answer(std::nullopt), k_now);
  CHECK_FALSE(cache.may_fetch(k_id, k_now + hours(5)));
  CHECK(cache.may_fetch(k_id, k_now + hours(6)));
}

TEST_CASE_METHOD(Fixture, "a failure keeps the last window and waits six hours") {
  auto cache = AriCache::load(path);
  cache.record_answer(k_id, answer(seconds(60)), k_now);
  cache.record_failure(k_id, k_now + hours(1));
  REQUIRE(cache.find(k_id)->window);
  CHECK(cache.find(k_id)->window->end == k_now + hours(24 * 52));
  CHECK_FALSE(cache.may_fetch(k_id, k_now + hours(6)));
  CHECK(cache.may_fetch(k_id, k_now + hours(7)));

  cache.record_failure("AAAA.BB", k_now);
  CHECK_FALSE(cache.find("AAAA.BB")->window);
  cache.save();
  CHECK_FALSE(AriCache::load(path).find("AAAA.BB")->window);
}

TEST_CASE_METHOD(Fixture, "a next-fetch time implausibly far ahead does not silence ARI") {
  auto cache = AriCache::load(path);
  cache.record_answer(k_id, answer(seconds(3600)), k_now + hours(24 * 30)); // clock was ahead
  CHECK(cache.may_fetch(k_id, k_now));
}

TEST_CASE_METHOD(Fixture, "CAs without renewalInfo are remembered for six hours") {
  auto cache = AriCache::load(path);
  cache.record_server_without_ari("https://ca.test/dir", k_now);
  cache.save();
  auto later = AriCache::load(path);
  CHECK(later.server_lacks_ari("https://ca.test/dir", k_now + hours(5)));
  CHECK_FALSE(later.server_lacks_ari("https://other.test/dir", k_now));
  CHECK_FALSE(later.server_lacks_ari("https://ca.test/dir", k_now + hours(6)));
  later.retain({}, k_now + hours(7));
  CHECK(later.dirty());
}

TEST_CASE_METHOD(Fixture, "replaced certificates are forgotten") {
  auto cache = AriCache::load(path);
  cache.record_answer(k_id, answer(seconds(3600)), k_now);
  cache.record_answer("AAAA.BB", answer(seconds(3600)), k_now);
  cache.retain({"AAAA.BB"}, k_now);
  CHECK(cache.find(k_id) == nullptr);
  CHECK(cache.size() == 1);
}

TEST_CASE_METHOD(Fixture, "a corrupt cache is ignored and rebuilt") {
  {
    auto cache = AriCache::load(path);
    cache.record_answer(k_id, answer(seconds(3600)), k_now);
    cache.save();
  }
  const std::string good = renew::test::slurp(path);
  std::vector<std::string> hostile = {
      "",
      good.substr(0, good.size() - 3),
      "{\"json\": true}\n",
      std::string(1 << 16, '\t'),
      "certsmith-ari-cache 1\ncert\t../../etc\t1\t2\t\t0\t0\nend 1\n", // not a cert ID
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t5\t4\t\t0\t0\nend 1\n",   // end before start
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t1\t-\t\t0\t0\nend 1\n",   // half a window
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t-\t-\t%\t0\t0\nend 1\n",  // bad escape
      "certsmith-ari-cache 1\nother\tAAAA.BB\t-\t-\t\t0\t0\nend 1\n",  // unknown kind
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t-\t-\t\tx\t0\nend 1\n",   // bad time
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t-\t-\t\t0\t99999999999999999999\nend 1\n",
      "certsmith-ari-cache 1\ncert\tAAAA.BB\t-\t-\t\t0\t0\ncert\tAAAA.BB\t-\t-\t\t0\t0\nend 2\n",
  };
  for (const auto& text : hostile) {
    INFO(text.substr(0, 100));
    renew::test::spit(path, text);
    auto cache = AriCache::load(path);
    CHECK(cache.size() == 0);
    CHECK(cache.may_fetch(k_id, k_now));
    CHECK(cache.dirty()); // the broken file is replaced at the next save
  }
}
