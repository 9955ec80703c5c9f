#include "dns/dns_client.hpp"
#include "dns/resolv_conf.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::UsageError;
using namespace certsmith::dns;

TEST_CASE("name servers: IPv4 and IPv6 literals with or without a port") {
  CHECK(parse_name_server("127.0.0.1") == NameServer{"127.0.0.1", 53});
  CHECK(parse_name_server("127.0.0.1", 5353) == NameServer{"127.0.0.1", 5353});
  CHECK(parse_name_server("127.0.0.1:5353") == NameServer{"127.0.0.1", 5353});
  CHECK(parse_name_server("[::1]:5353") == NameServer{"::1", 5353});
  CHECK(parse_name_server("[::1]") == NameServer{"::1", 53});
  CHECK(parse_name_server("::1") == NameServer{"::1", 53});
  CHECK(parse_name_server("2001:DB8:0:0::1") == NameServer{"2001:db8::1", 53}); // canonical
  CHECK(parse_name_server("192.0.2.1:65535").port == 65535);
}

TEST_CASE("name servers: anything else is a usage error") {
  for (const char* bad : {"",
                          "ns.example.com",
                          "ns.example.com:53",
                          "127.0.0.1:",
                          "127.0.0.1:0",
                          "127.0.0.1:65536",
                          "127.0.0.1:53x",
                          "127.0.0.1:-1",
                          "127.0.0.1:+53",
                          "1.2.3",
                          "256.0.0.1",
                          "[127.0.0.1]:53",
                          "[::1",
                          "[::1]5353",
                          "[::1]:",
                          "::1:99999x",
                          "fe80::1%eth0",
                          " 127.0.0.1",
                          "127.0.0.1 ",
                          "127.0.0.1:5353:1",
                          "\x1b[31m1.2.3.4"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_name_server(bad), UsageError);
  }
}

TEST_CASE("name servers: the error names the value, escaped") {
  CHECK_THROWS_WITH(parse_name_server("bad\x1bhost"), Catch::Contains("'bad\\x1bhost'"));
}

TEST_CASE("name servers are described with brackets around IPv6") {
  CHECK(describe(NameServer{"127.0.0.1", 5353}) == "127.0.0.1:5353");
  CHECK(describe(NameServer{"::1", 53}) == "[::1]:53");
}

TEST_CASE("resolv.conf: nameserver lines in order, other lines and garbage skipped") {
  std::string text = "# comment\n"
                     "search example.com\n"
                     "nameserver 192.0.2.53\n"
                     "  nameserver\t2001:db8::53  # trailing\n"
                     "#nameserver 10.0.0.1\n"
                     "nameserver ns.example.com\n"
                     "nameserver\n"
                     "options ndots:2\n"
                     "nameserver 198.51.100.1";
  auto servers = parse_resolv_conf(text);
  REQUIRE(servers.size() == 3);
  CHECK(servers[0] == NameServer{"192.0.2.53", 53});
  CHECK(servers[1] == NameServer{"2001:db8::53", 53});
  CHECK(servers[2] == NameServer{"198.51.100.1", 53});
  CHECK(parse_resolv_conf("").empty());
}
