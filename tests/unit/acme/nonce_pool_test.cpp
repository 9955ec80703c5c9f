#include "acme/nonce_pool.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;

TEST_CASE("the newest nonce is used first and each only once") {
  acme::NoncePool pool;
  pool.add("first");
  pool.add("second");
  CHECK(pool.take() == "second");
  CHECK(pool.take() == "first");
  CHECK_FALSE(pool.take());
}

TEST_CASE("nonces that are not base64url are dropped") {
  acme::NoncePool pool;
  pool.add("");
  pool.add("has space");
  pool.add("a/b");
  pool.add("x=");
  pool.add(std::string(1000, 'a'));
  CHECK(pool.size() == 0);
}

TEST_CASE("the pool is bounded") {
  acme::NoncePool pool;
  for (int i = 0; i < 1000; ++i)
    pool.add("n" + std::to_string(i));
  CHECK(pool.size() == 64);
  CHECK(pool.take() == "n999");
}
