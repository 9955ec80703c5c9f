#include "challenge/http01_standalone.hpp"
#include "raw_http.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::ChallengeError;
using certsmith::challenge::Http01Responder;
using certsmith::challenge::Http01StandaloneSolver;
using certsmith::challenge::Task;
using certsmith::testing::raw_request;

namespace {

Task task_for(const std::string& token) {
  return Task{"example.com", "http-01", token, token + ".thumbprint"};
}

int fetch(const Http01Responder& responder, const std::string& token) {
  const auto reply = raw_request("127.0.0.1", responder.port(),
                                 "GET /.well-known/acme-challenge/" + token + " HTTP/1.1");
  return reply ? reply->status : -1;
}

} // namespace

TEST_CASE("standalone solver publishes tokens on perform and withdraws them on cleanup",
          "[challenge]") {
  auto responder = std::make_shared<Http01Responder>("127.0.0.1", 0);
  Http01StandaloneSolver solver(responder);
  CHECK(solver.type() == "http-01");
  const std::vector<Task> tasks{task_for("tokenA_-1"), task_for("tokenB")};
  solver.perform(tasks);
  CHECK(fetch(*responder, "tokenA_-1") == 200);
  CHECK(fetch(*responder, "tokenB") == 200);
  solver.cleanup(tasks);
  CHECK(fetch(*responder, "tokenA_-1") == 404);
  CHECK(fetch(*responder, "tokenB") == 404);
}

TEST_CASE("two standalone solvers share one responder", "[challenge]") {
  auto responder = std::make_shared<Http01Responder>("127.0.0.1", 0);
  Http01StandaloneSolver first(responder);
  Http01StandaloneSolver second(responder);
  first.perform({task_for("first")});
  second.perform({task_for("second")});
  first.cleanup({task_for("first")});
  CHECK(fetch(*responder, "first") == 404);
  CHECK(fetch(*responder, "second") == 200);
}

TEST_CASE("standalone solver refuses tokens that are not base64url, publishing nothing",
          "[challenge]") {
  auto responder = std::make_shared<Http01Responder>("127.0.0.1", 0);
  Http01StandaloneSolver solver(responder);
  for (const std::string& hostile : std::vector<std::string>{
           "../evil", "a/b", "", "tok en", "tok%2fen", "tok\nen", "a=b", std::string("a\0b", 3)}) {
    CAPTURE(hostile);
    CHECK_THROWS_AS(solver.perform({task_for("goodToken"), task_for(hostile)}), ChallengeError);
    CHECK(fetch(*responder, "goodToken") == 404);
  }
  CHECK_THROWS_WITH(solver.perform({task_for("a\x1b[2Jb")}), !Catch::Matchers::Contains("\x1b"));
}

TEST_CASE("standalone solver refuses a challenge of another type", "[challenge]") {
  auto responder = std::make_shared<Http01Responder>("127.0.0.1", 0);
  Http01StandaloneSolver solver(responder);
  Task dns = task_for("token");
  dns.type = "dns-01";
  CHECK_THROWS_AS(solver.perform({dns}), ChallengeError);
  CHECK(fetch(*responder, "token") == 404);
}
