#include "acme/contact.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using certsmith::UsageError;
using certsmith::acme::contacts_from_email;
using Contacts = std::vector<std::string>;

namespace {

std::string refusal_of(const std::string& email) {
  try {
    contacts_from_email(email);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "accepted";
}

} // namespace

TEST_CASE("contacts: addresses become mailto: URLs in the order given") {
  CHECK(contacts_from_email("").empty());
  CHECK(contacts_from_email("a@example.com") == Contacts{"mailto:a@example.com"});
  CHECK(contacts_from_email(" a@example.com , b.c+tag@example.org") ==
        Contacts{"mailto:a@example.com", "mailto:b.c+tag@example.org"});
  CHECK(contacts_from_email("o'brien@example.com") == Contacts{"mailto:o'brien@example.com"});
}

TEST_CASE("contacts: empty items are skipped like certbot, duplicates dropped") {
  CHECK(contacts_from_email("a@example.com,") == Contacts{"mailto:a@example.com"});
  CHECK(contacts_from_email(",,a@example.com,,b@example.com, ,") ==
        Contacts{"mailto:a@example.com", "mailto:b@example.com"});
  CHECK(contacts_from_email(",").empty());
  CHECK(contacts_from_email("a@example.com,a@example.com") == Contacts{"mailto:a@example.com"});
}

TEST_CASE("contacts: a mailto: the user typed is not doubled") {
  CHECK(contacts_from_email("mailto:a@example.com") == Contacts{"mailto:a@example.com"});
  CHECK(contacts_from_email("MAILTO:a@example.com") == Contacts{"mailto:a@example.com"});
}

TEST_CASE("contacts: the domain is checked and an IDN becomes punycode") {
  CHECK(contacts_from_email("info@B\xc3\xbc"
                            "cher.example") == Contacts{"mailto:info@xn--bcher-kva.example"});
  CHECK(contacts_from_email("A.B@Example.COM") == Contacts{"mailto:A.B@example.com"});
}

TEST_CASE("contacts: malformed or hostile addresses are refused") {
  for (const std::string& bad : std::vector<std::string>{"plainaddress",
                                                         "@example.com",
                                                         "a@",
                                                         "a@b",
                                                         "a@@example.com",
                                                         "a@b@example.com",
                                                         "a b@example.com",
                                                         "a@exa mple.com",
                                                         "\"a\"@example.com",
                                                         "a`id`@example.com",
                                                         "<a@example.com>",
                                                         "A <a@example.com>",
                                                         "a\n@example.com",
                                                         "a@example.com\r",
                                                         "a\x7f@example.com",
                                                         std::string("a\0b@example.com", 15),
                                                         ".a@example.com",
                                                         "a.@example.com",
                                                         "a..b@example.com",
                                                         "a(b)@example.com",
                                                         "a;b@example.com",
                                                         "a@-example.com",
                                                         "a@example..com",
                                                         "a@*.example.com",
                                                         "a@[192.0.2.1]",
                                                         "a@192.0.2.1",
                                                         "a@example.com;rm -rf /",
                                                         "a@b_c.example.com",
                                                         "\xc3\xbc@example.com",
                                                         std::string(65, 'a') + "@example.com",
                                                         "a@" + std::string(64, 'b') + ".com",
                                                         "mailto:",
                                                         "mailto:a"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(contacts_from_email(bad), UsageError);
  }
  CHECK_NOTHROW(contacts_from_email(std::string(64, 'a') + "@example.com"));
  std::string long_domain = std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                            std::string(63, 'd') + "." + std::string(50, 'e');  // 242
  CHECK_NOTHROW(contacts_from_email(std::string(11, 'a') + "@" + long_domain)); // 254
  CHECK_THROWS_AS(contacts_from_email(std::string(12, 'a') + "@" + long_domain), UsageError);
}

TEST_CASE("contacts: refusals name the address and the reason") {
  CHECK(refusal_of("ok@example.com,bad") == "invalid email address 'bad': it has no '@'");
  CHECK(refusal_of("a\x1b]0;x@example.com") ==
        "invalid email address 'a\\x1b]0;x@example.com': it contains a control character");
  CHECK(refusal_of("a@-x.example") ==
        "invalid email address 'a@-x.example': invalid domain '-x.example': a label starts or "
        "ends with '-'");
  CHECK(refusal_of("a;b@example.com") ==
        "invalid email address 'a;b@example.com': ';' is not allowed before '@'");
}

TEST_CASE("contacts: a domain whose IDNA mapping is not a host name is refused") {
  // U+FF0F FULLWIDTH SOLIDUS and U+FF0A FULLWIDTH ASTERISK map to '/' and '*'.
  const std::string fullwidth_slash = "\xef\xbc\x8f";
  const std::string fullwidth_star = "\xef\xbc\x8a";
  CHECK(refusal_of("a@x" + fullwidth_slash + "y.example.com") ==
        "invalid email address 'a@x" + fullwidth_slash + "y.example.com': invalid domain 'x" +
            fullwidth_slash +
            "y.example.com': it contains a path separator; IDNA maps it to 'x/y.example.com'");
  CHECK_THROWS_AS(contacts_from_email("a@" + fullwidth_star + ".example.com"), UsageError);
  // U+3002 IDEOGRAPHIC FULL STOP separates labels, as UTS #46 maps it to '.'.
  CHECK(contacts_from_email("a@example\xe3\x80\x82"
                            "com") == Contacts{"mailto:a@example.com"});
}
