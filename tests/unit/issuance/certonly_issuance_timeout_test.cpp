// certbot's --issuance-timeout, end to end through certonly: a CA that
// validates the names but never finishes the finalized order is given up on
// after the timeout asked for (certbot's default, 90 s), not after some fixed
// time. A fake CA answers by URL; the fake clock makes the wait instant.
#include "issuance/certonly.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

using namespace certsmith;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_ca = "https://ca.test";

// A CA for one name whose authorization is already valid and whose order,
// once finalized, stays "processing" (Retry-After: 10) for ever.
http::Response fake_ca(const http::Request& request, int& order_polls) {
  auto answer = [](long status, const json& body, http::Headers headers = {}) {
    headers.emplace_back("replay-nonce", "nonce");
    return json_response(status, body.dump(), std::move(headers));
  };
  const std::string& url = request.url;
  if (url == k_ca + "/dir")
    return json_response(200, json{{"newNonce", k_ca + "/nonce"},
                                   {"newAccount", k_ca + "/acct"},
                                   {"newOrder", k_ca + "/order"}}
                                  .dump());
  if (url == k_ca + "/nonce")
    return http::Response{200, {{"replay-nonce", "nonce"}}, "", {}};
  if (url == k_ca + "/acct")
    return answer(201, {{"status", "valid"}}, {{"location", k_ca + "/acct/1"}});
  json order = {{"status", "pending"},
                {"identifiers", json::array({{{"type", "dns"}, {"value", "a.example.com"}}})},
                {"authorizations", json::array({k_ca + "/authz/1"})},
                {"finalize", k_ca + "/finalize/1"}};
  if (url == k_ca + "/order")
    return answer(201, order, {{"location", k_ca + "/order/1"}});
  if (url == k_ca + "/authz/1") // already valid: nothing to answer, straight to finalize
    return answer(200, {{"identifier", {{"type", "dns"}, {"value", "a.example.com"}}},
                        {"status", "valid"},
                        {"challenges", json::array()}});
  order["status"] = "processing";
  if (url == k_ca + "/finalize/1")
    return answer(200, order);
  if (url == k_ca + "/order/1") {
    ++order_polls;
    return answer(200, order, {{"retry-after", "10"}});
  }
  return answer(404, {{"type", "urn:ietf:params:acme:error:malformed"}, {"detail", url}});
}

struct EmptyTree {
  std::filesystem::path root;
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  testing::FakeProcessRunner process_runner;
  int order_polls = 0;

  EmptyTree() {
    char pattern[] = "/tmp/certsmith-issuance-timeout-XXXXXX";
    root = mkdtemp(pattern);
    std::filesystem::create_directories(root / "webroot");
    for (int i = 0; i < 200; ++i)
      transport.expect(
          [this](const http::Request& request) { return fake_ca(request, order_polls); });
  }
  ~EmptyTree() { std::filesystem::remove_all(root); }

  issuance::CertonlyRequest request() const {
    issuance::CertonlyRequest request;
    request.paths = store::TreePaths::under(root);
    request.server = k_ca + "/dir";
    request.domains = {"a.example.com"};
    request.authenticator = "webroot";
    request.webroot_map = {{"a.example.com", (root / "webroot").string()}};
    request.account.agree_tos = true;
    request.account.register_unsafely_without_email = true;
    request.hooks.use_directory_hooks = false;
    return request;
  }

  void run_until_given_up(const issuance::CertonlyRequest& request, const std::string& message) {
    CHECK_THROWS_WITH(issuance::run_certonly(request, transport, clock, process_runner),
                      Catch::Contains(message));
  }
};

} // namespace

TEST_CASE("certonly waits certbot's 90 s for a finalized order by default", "[certonly]") {
  EmptyTree tree;
  auto request = tree.request();
  tree.run_until_given_up(request, "did not finish the order within 90 s (--issuance-timeout)");
  // 10 ms, then 10 s waits while the next would still end within 90 s.
  CHECK(tree.order_polls == 9);
  CHECK_FALSE(std::filesystem::exists(request.paths.renewal_conf("a.example.com")));
}

TEST_CASE("certonly --issuance-timeout 25 gives up on the order after 25 s", "[certonly]") {
  EmptyTree tree;
  auto request = tree.request();
  request.issuance_timeout = std::chrono::seconds(25);
  tree.run_until_given_up(request, "did not finish the order within 25 s (--issuance-timeout)");
  CHECK(tree.order_polls == 3); // at 0 s, 10 s and 20 s; 30 s is past the deadline
}

TEST_CASE("certonly --issuance-timeout 600 keeps polling the order for 600 s", "[certonly]") {
  EmptyTree tree;
  auto request = tree.request();
  request.issuance_timeout = std::chrono::seconds(600);
  tree.run_until_given_up(request, "within 600 s");
  CHECK(tree.order_polls == 60);
}
