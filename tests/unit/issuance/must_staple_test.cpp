#include "issuance/must_staple.hpp"

#include <catch2/catch.hpp>

using namespace certsmith::issuance;

TEST_CASE("Let's Encrypt servers are recognised by host") {
  for (const char* server : {"https://acme-v02.api.letsencrypt.org/directory",
                             "https://acme-staging-v02.api.letsencrypt.org/directory",
                             "https://ACME-V02.API.LetsEncrypt.org/directory"}) {
    INFO(server);
    CHECK(is_lets_encrypt(server));
  }
  for (const char* server :
       {"https://localhost:14000/dir", "https://acme.zerossl.com/v2/DV90",
        "https://api.letsencrypt.org.evil.test/directory", "https://evilapi.letsencrypt.org.test/",
        "https://example.com/api.letsencrypt.org", ""}) {
    INFO(server);
    CHECK_FALSE(is_lets_encrypt(server));
  }
}

TEST_CASE("the must-staple warning foretells Let's Encrypt's refusal, cautions elsewhere") {
  const std::string lets_encrypt =
      must_staple_warning("https://acme-v02.api.letsencrypt.org/directory");
  CHECK_THAT(lets_encrypt, Catch::Contains("will be refused"));
  CHECK_THAT(lets_encrypt, Catch::Contains("OCSP in 2025"));
  const std::string other = must_staple_warning("https://localhost:14000/dir");
  CHECK_THAT(other, !Catch::Contains("will be refused"));
  CHECK_THAT(other, Catch::Contains("OCSP"));
  CHECK(other.find('\n') == std::string::npos);
  CHECK(lets_encrypt.find('\n') == std::string::npos);
}
