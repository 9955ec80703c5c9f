#include "issuance/certificates_report.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;

namespace {
const auto k_now = system_clock::from_time_t(1'800'000'000); // 2027-01-15 08:00:00 UTC
const std::string k_rule =
    "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";

issuance::LineageSummary summary(std::string name, system_clock::time_point not_after) {
  return {name,
          {name, "www." + name},
          "fa11",
          "ECDSA",
          not_after,
          "/etc/letsencrypt/live/" + name + "/fullchain.pem",
          "/etc/letsencrypt/live/" + name + "/privkey.pem",
          ""};
}
} // namespace

TEST_CASE("the listing follows certbot's layout") {
  std::string report = issuance::format_certificates_report(
      {summary("example.com", k_now + hours(24 * 89 + 5))}, k_now);
  CHECK(report == k_rule +
                      "Found the following certs:\n"
                      "  Certificate Name: example.com\n"
                      "    Serial Number: fa11\n"
                      "    Key Type: ECDSA\n"
                      "    Domains: example.com www.example.com\n"
                      "    Expiry Date: 2027-04-14 13:00:00+00:00 (VALID: 89 days)\n"
                      "    Certificate Path: /etc/letsencrypt/live/example.com/fullchain.pem\n"
                      "    Private Key Path: /etc/letsencrypt/live/example.com/privkey.pem\n" +
                      k_rule);
}

TEST_CASE("expired and nearly expired certificates are flagged") {
  std::string report = issuance::format_certificates_report(
      {summary("old.example.com", k_now - hours(1)), summary("soon.example.com", k_now + hours(5))},
      k_now);
  CHECK_THAT(report, Catch::Contains("(INVALID: EXPIRED)"));
  CHECK_THAT(report, Catch::Contains("(VALID: 5 hours)"));
}

TEST_CASE("unreadable lineages are listed apart with their reason") {
  auto broken = summary("broken.example.com", k_now);
  broken.problem = "renewal/broken.example.com.conf line 3: line without '='";
  std::string report = issuance::format_certificates_report({broken}, k_now);
  CHECK(report == k_rule +
                      "The following renewal configurations were invalid:\n"
                      "  broken.example.com: renewal/broken.example.com.conf line 3: line "
                      "without '='\n" +
                      k_rule);
}

TEST_CASE("an empty tree says so") {
  CHECK(issuance::format_certificates_report({}, k_now) ==
        k_rule + "No certificates found.\n" + k_rule);
}
