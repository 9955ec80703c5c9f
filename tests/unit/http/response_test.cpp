#include "http/transport.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using certsmith::http::Response;

TEST_CASE("Response::header finds the first header whatever the case", "[http]") {
  Response response;
  response.headers = {{"content-type", "application/json"}, {"Link", "<a>"}, {"link", "<b>"}};
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.header("LINK") == "<a>");
  CHECK_FALSE(response.header("location").has_value());
  CHECK_FALSE(response.header("content-typ").has_value());
}

TEST_CASE("Response::headers_named keeps every header in order", "[http]") {
  Response response;
  response.headers = {{"link", "<a>"}, {"x", "1"}, {"LiNk", "<b>"}};
  CHECK(response.headers_named("Link") == std::vector<std::string>{"<a>", "<b>"});
  CHECK(response.headers_named("retry-after").empty());
}

TEST_CASE("ca_bundle_from_environment reads REQUESTS_CA_BUNDLE as certbot does", "[http]") {
  const char* saved = std::getenv("REQUESTS_CA_BUNDLE");
  const std::string saved_value = saved != nullptr ? saved : "";
  ::unsetenv("REQUESTS_CA_BUNDLE");
  CHECK(certsmith::http::ca_bundle_from_environment().empty());
  ::setenv("REQUESTS_CA_BUNDLE", "/tmp/pebble.minica.pem", 1);
  CHECK(certsmith::http::ca_bundle_from_environment() == "/tmp/pebble.minica.pem");
  if (saved != nullptr) {
    ::setenv("REQUESTS_CA_BUNDLE", saved_value.c_str(), 1);
  } else {
    ::unsetenv("REQUESTS_CA_BUNDLE");
  }
}
