#include "issuance/certificates_report.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;

namespace {
const auto k_now = system_clock::from_time_t(1'800'000'000); // 2027-01-15 08:00:00 UTC
const std::string k_rule =
    "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";

issuance::LineageSummary summary(std::string name, system_clock::time_point not_after) {
  issuance::LineageSummary lineage;
  lineage.name = name;
  lineage.dns_names = {name, "www." + name};
  lineage.serial_hex = "fa11";
  lineage.key_type = "ECDSA";
  lineage.not_after = not_after;
  lineage.fullchain_path = "/etc/letsencrypt/live/" + name + "/fullchain.pem";
  lineage.privkey_path = "/etc/letsencrypt/live/" + name + "/privkey.pem";
  return lineage;
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

TEST_CASE("IP addresses follow the DNS names on the Domains line") {
  auto lineage = summary("ip.example.com", k_now + hours(48));
  lineage.ip_addresses = {"192.0.2.10"};
  CHECK_THAT(issuance::format_certificates_report({lineage}, k_now),
             Catch::Contains("    Domains: ip.example.com www.ip.example.com 192.0.2.10\n"));
}

TEST_CASE("certificates: the cert name and domain filters work as certbot's") {
  std::vector<issuance::LineageSummary> all{summary("a.example.com", k_now + hours(100)),
                                            summary("b.example.com", k_now + hours(100))};
  auto broken = summary("broken.example.com", k_now);
  broken.dns_names.clear();
  broken.problem = "unreadable";
  all.push_back(broken);

  auto names = [](const std::vector<issuance::LineageSummary>& kept) {
    std::vector<std::string> out;
    for (const auto& lineage : kept)
      out.push_back(lineage.name);
    return out;
  };
  using Names = std::vector<std::string>;
  CHECK(names(issuance::filter_lineages(all, {})) ==
        Names{"a.example.com", "b.example.com", "broken.example.com"});
  CHECK(names(issuance::filter_lineages(all, {"b.example.com", {}, {}})) == Names{"b.example.com"});
  // Every -d must be in the certificate; case does not matter.
  CHECK(names(issuance::filter_lineages(all, {std::nullopt, {"WWW.A.example.com"}, {}})) ==
        Names{"a.example.com", "broken.example.com"});
  CHECK(names(issuance::filter_lineages(all,
                                        {std::nullopt, {"a.example.com", "b.example.com"}, {}})) ==
        Names{"broken.example.com"});
  CHECK(names(issuance::filter_lineages(all, {"a.example.com", {"b.example.com"}, {}})).empty());

  CHECK_THAT(issuance::format_certificates_report({all[0]}, k_now, true),
             Catch::Contains("Found the following matching certs:\n"));
  CHECK(issuance::format_certificates_report({}, k_now, true) ==
        k_rule + "No matching certificates found.\n" + k_rule);
}

TEST_CASE("certificates: -d matches an IDN as typed, --ip-address any spelling of the address") {
  auto idn = summary("xn--bcher-kva.example", k_now + hours(100));
  idn.ip_addresses = {"2001:db8::1", "192.0.2.10"};
  using issuance::CertificateFilter;
  CHECK(CertificateFilter::from_flags(std::nullopt, {"Bücher.example."}, {}).matches(idn));
  CHECK(
      CertificateFilter::from_flags(std::nullopt, {"WWW.xn--bcher-kva.example"}, {}).matches(idn));
  CHECK_FALSE(CertificateFilter::from_flags(std::nullopt, {"bucher.example"}, {}).matches(idn));

  auto by_ip = CertificateFilter::from_flags(std::nullopt, {}, {"2001:DB8:0:0::0001"});
  CHECK(by_ip.active());
  CHECK(by_ip.matches(idn));
  CHECK(
      CertificateFilter::from_flags(std::nullopt, {"bücher.example"}, {"192.0.2.10"}).matches(idn));
  CHECK_FALSE(CertificateFilter::from_flags(std::nullopt, {}, {"192.0.2.11"}).matches(idn));
  // An address is never a DNS name, nor a name an address.
  auto dns_only = summary("a.example.com", k_now + hours(100));
  dns_only.dns_names.push_back("192.0.2.10");
  CHECK_FALSE(CertificateFilter::from_flags(std::nullopt, {}, {"192.0.2.10"}).matches(dns_only));
}

TEST_CASE("certificates: hostile filter values are usage errors") {
  using issuance::CertificateFilter;
  for (const char* domain :
       {"a/b.example", "../x", "a b.example", "x\x1b[2J.example", "192.0.2.1"}) {
    CAPTURE(domain);
    CHECK_THROWS_AS(CertificateFilter::from_flags(std::nullopt, {domain}, {}), UsageError);
  }
  for (const char* address : {"example.com", "256.0.0.1", "::1/128", ""}) {
    CAPTURE(address);
    CHECK_THROWS_AS(CertificateFilter::from_flags(std::nullopt, {}, {address}), UsageError);
  }
}

TEST_CASE("inconsistent lineages carry the update_symlinks hint when it would repair them") {
  auto dangling = summary("dangling.example.com", k_now);
  dangling.problem = "/etc/letsencrypt/live/dangling.example.com/chain.pem: points to "
                     "../../archive/dangling.example.com/chain2.pem, which does not exist";
  dangling.fix = "certsmith update_symlinks";
  auto mismatched = summary("mismatched.example.com", k_now);
  mismatched.problem = "privkey2.pem: does not match cert2.pem";
  std::string report = issuance::format_certificates_report({dangling, mismatched}, k_now);
  CHECK_THAT(report,
             Catch::Contains("  dangling.example.com: /etc/letsencrypt/live/"
                             "dangling.example.com/chain.pem: points to "
                             "../../archive/dangling.example.com/chain2.pem, which does not "
                             "exist; run \"certsmith update_symlinks\" to repair it\n"));
  CHECK_THAT(report, Catch::Contains("  mismatched.example.com: privkey2.pem: does not match "
                                     "cert2.pem\n"));
}
