#include "store/config_obj.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::StorageError;
using certsmith::store::ConfigObj;

namespace {

const std::string k_certbot_example = R"(# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/example.com
cert = /etc/letsencrypt/live/example.com/cert.pem
privkey = /etc/letsencrypt/live/example.com/privkey.pem
chain = /etc/letsencrypt/live/example.com/chain.pem
fullchain = /etc/letsencrypt/live/example.com/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 6b1ac3f6b4b52a1e9b3f6a1c0e0f1f5e
authenticator = webroot
webroot_path = /var/www/html,
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ecdsa
[[webroot_map]]
example.com = /var/www/html
www.example.com = /var/www/html
)";

const std::string k_hand_edited = R"(# top comment

version = 1.32.0   # inline comment
archive_dir = "/etc/letsencrypt/archive/my site"
  indented_key    =    'single quoted'  
odd = a, "b, c", 'd'  # a list
empty =
emptylist = ,
trip = '''it's "x"'''
multi = """line one
line two"""  # after
"quoted key" = v
[renewalparams]
# an option of a plugin we do not know
dns_cloudflare_credentials = /root/.secrets/cf.ini
pre_hook = systemctl stop nginx # stop it
  [[webroot_map]]
  a.example = /srv/a

[other]
x = 1
# trailing comment
)";

std::string parse_error(const std::string& text) {
  try {
    ConfigObj::parse(text, "renewal/x.conf");
  } catch (const StorageError& error) {
    return error.what();
  }
  return "(no error)";
}

} // namespace

TEST_CASE("configobj: certbot 2.1 renewal conf round-trips byte for byte", "[store][configobj]") {
  auto conf = ConfigObj::parse(k_certbot_example, "renewal/example.com.conf");
  CHECK(conf.to_string() == k_certbot_example);
  CHECK(conf.root().get("version") == "2.1.0");
  CHECK(conf.root().keys() == std::vector<std::string>{"version", "archive_dir", "cert", "privkey",
                                                       "chain", "fullchain"});
  auto* params = conf.root().section("renewalparams");
  REQUIRE(params != nullptr);
  CHECK(params->get("authenticator") == "webroot");
  CHECK(params->value("webroot_path")->is_list);
  CHECK(params->get_list("webroot_path") == std::vector<std::string>{"/var/www/html"});
  auto* map = params->section("webroot_map");
  REQUIRE(map != nullptr);
  CHECK(map->depth() == 2);
  CHECK(map->get("www.example.com") == "/var/www/html");
  CHECK(conf.initial_comment() == std::vector<std::string>{"# renew_before_expiry = 30 days"});
}

TEST_CASE("configobj: comments, quotes, lists and unknown keys round-trip", "[store][configobj]") {
  auto conf = ConfigObj::parse(k_hand_edited, "x.conf");
  CHECK(conf.to_string() == k_hand_edited);
  const auto& root = conf.root();
  CHECK(root.get("version") == "1.32.0");
  CHECK(root.get("archive_dir") == "/etc/letsencrypt/archive/my site");
  CHECK(root.get("indented_key") == "single quoted");
  CHECK(root.get_list("odd") == std::vector<std::string>{"a", "b, c", "d"});
  CHECK(root.get("empty") == "");
  CHECK(root.value("emptylist")->is_list);
  CHECK(root.get_list("emptylist").empty());
  CHECK(root.get("trip") == "it's \"x\"");
  CHECK(root.get("multi") == "line one\nline two");
  CHECK(root.get("quoted key") == "v");
  CHECK(root.section("renewalparams")->get("pre_hook") == "systemctl stop nginx");
  CHECK(root.section("renewalparams")->section("webroot_map")->get("a.example") == "/srv/a");
  CHECK(root.sections() == std::vector<std::string>{"renewalparams", "other"});
}

TEST_CASE("configobj: CRLF, missing final newline and BOM are kept", "[store][configobj]") {
  for (const std::string& text :
       std::vector<std::string>{"a = 1\r\n[s]\r\nb = 2\r\n", "a = 1\n[s]\nb = 2",
                                "\xEF\xBB\xBF# c\na = 1\n", "", "# only a comment\n"}) {
    CHECK(ConfigObj::parse(text, "x").to_string() == text);
  }
  auto conf = ConfigObj::parse("a = 1\r\nb = 2\r\n", "x");
  conf.root().set("b", "3");
  conf.root().set("c", "4");
  CHECK(conf.to_string() == "a = 1\r\nb = 3\r\nc = 4\r\n");
}

TEST_CASE("configobj: a change rewrites only the changed line", "[store][configobj]") {
  auto conf = ConfigObj::parse(k_hand_edited, "x.conf");
  auto* params = conf.root().section("renewalparams");
  params->set("pre_hook", "systemctl stop apache2");
  params->set("dns_cloudflare_credentials", "/root/.secrets/cf.ini"); // same value: untouched
  params->set("new_key", "new value");
  conf.root().section("other")->erase("x");
  std::string expected = k_hand_edited;
  expected.replace(expected.find("pre_hook = systemctl stop nginx # stop it"),
                   std::string("pre_hook = systemctl stop nginx # stop it").size(),
                   "pre_hook = systemctl stop apache2 # stop it\nnew_key = new value");
  expected.replace(expected.find("x = 1\n"), 6, "");
  CHECK(conf.to_string() == expected);
}

TEST_CASE("configobj: values are quoted the way configobj 5 writes them", "[store][configobj]") {
  // Expected text produced by Python configobj 5.0.8 for the same data.
  ConfigObj conf;
  conf.set_initial_comment({"# renew_before_expiry = 30 days"});
  conf.root().set("version", "2.1.0");
  auto& params = conf.root().ensure_section("renewalparams");
  conf.root().set_comment("renewalparams", {"", "# Options used in the renewal process"});
  params.set_list("webroot_path", {"/var/www/html"});
  params.set_list("x", {"a", "b"});
  params.set_list("e", {});
  params.set("h", "a # b");
  params.set("q", " lead");
  params.set("dq", "say \"hi\"");
  params.set("both", "it's \"x\"");
  params.set("empty", "");
  params.set("comma", "a,b");
  params.set("reuse_key", "True");
  params.ensure_section("webroot_map").set("example.com", "/var/www/html");
  CHECK(conf.to_string() == R"(# renew_before_expiry = 30 days
version = 2.1.0

# Options used in the renewal process
[renewalparams]
webroot_path = /var/www/html,
x = a, b
e = ,
h = "a # b"
q = " lead"
dq = 'say "hi"'
both = '''it's "x"'''
empty = ""
comma = "a,b"
reuse_key = True
[[webroot_map]]
example.com = /var/www/html
)");
}

TEST_CASE("configobj: written values read back the same", "[store][configobj]") {
  const std::vector<std::string> values = {"plain",      "",
                                           " lead",      "trail ",
                                           "a # b",      "a,b",
                                           "say \"hi\"", "it's",
                                           "it's \"x\"", "line\nbreak",
                                           "'''",        "tab\tinside",
                                           "=",          "[x]",
                                           "#",          "systemctl reload nginx && echo ok"};
  ConfigObj conf;
  auto& section = conf.root().ensure_section("s");
  for (std::size_t i = 0; i < values.size(); ++i) {
    section.set("k" + std::to_string(i), values[i]);
  }
  section.set_list("list", {"a b", "c,d", "e#f", "it's"});
  section.set("weird = key", "v");
  auto again = ConfigObj::parse(conf.to_string(), "again");
  const auto* read = again.root().section("s");
  REQUIRE(read != nullptr);
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(read->get("k" + std::to_string(i)) == values[i]);
  }
  CHECK(read->get_list("list") == std::vector<std::string>{"a b", "c,d", "e#f", "it's"});
  CHECK(read->get("weird = key") == "v");
}

TEST_CASE("configobj: values that cannot be written are refused", "[store][configobj]") {
  ConfigObj conf;
  conf.root().set("k", "has ''' and \"\"\" both");
  CHECK_THROWS_AS(conf.to_string(), StorageError);
  ConfigObj list;
  list.root().set_list("k", {"a\nb"});
  CHECK_THROWS_AS(list.to_string(), StorageError);
}

TEST_CASE("configobj: sections are created, replaced and erased", "[store][configobj]") {
  auto conf = ConfigObj::parse(k_certbot_example, "x");
  auto& params = *conf.root().section("renewalparams");
  params.erase("webroot_map");
  CHECK(params.section("webroot_map") == nullptr);
  params.set("authenticator", "standalone");
  params.erase("webroot_path");
  auto text = conf.to_string();
  CHECK(text.find("[[webroot_map]]") == std::string::npos);
  CHECK(text.find("authenticator = standalone\nserver =") != std::string::npos);
  conf.root().ensure_section("extra").set("a", "b");
  CHECK(conf.to_string().ends_with("key_type = ecdsa\n[extra]\na = b\n"));
}

TEST_CASE("configobj: malformed input names the line", "[store][configobj]") {
  CHECK(parse_error("a = 1\n[sec\n") ==
        "renewal/x.conf line 2: unbalanced brackets in section header");
  CHECK(parse_error("a = 1\nb = 2\njust text\n") ==
        "renewal/x.conf line 3: expected 'key = value'");
  CHECK(parse_error("a = 1\na = 2\n") == "renewal/x.conf line 2: duplicate key 'a'");
  CHECK(parse_error("[s]\na = 1\n[s]\n") == "renewal/x.conf line 3: duplicate section 's'");
  CHECK(parse_error("[s]\n[[s]]\n[[s]]\n") == "renewal/x.conf line 3: duplicate section 's'");
  CHECK(parse_error("s = 1\n[s]\n") == "renewal/x.conf line 2: duplicate section 's'");
  CHECK(parse_error("[[deep]]\n") == "renewal/x.conf line 1: section nested too deep");
  CHECK(parse_error("[a]\n[[[c]]]\n") == "renewal/x.conf line 2: section nested too deep");
  CHECK(parse_error("[a]]\n") == "renewal/x.conf line 1: unbalanced brackets in section header");
  CHECK(parse_error("[]\n") == "renewal/x.conf line 1: empty section name");
  CHECK(parse_error("[a] b\n") == "renewal/x.conf line 1: malformed section header");
  CHECK(parse_error("x = \"abc\n") == "renewal/x.conf line 1: unbalanced quote in value");
  CHECK(parse_error("x = \"a\" b\n") == "renewal/x.conf line 1: text after a quoted value");
  CHECK(parse_error("a = 1\n\nx = '''abc\nmore\n") ==
        "renewal/x.conf line 3: unterminated triple-quoted value");
  CHECK(parse_error("x = a,,b\n") == "renewal/x.conf line 1: empty item in list");
  CHECK(parse_error("x = , a\n") ==
        "renewal/x.conf line 1: unexpected ',' at the start of a value");
  CHECK(parse_error("= v\n") == "renewal/x.conf line 1: missing key before '='");
  CHECK(parse_error("\"k = v\n") == "renewal/x.conf line 1: unbalanced quote in key");
  std::string with_nul = "a = 1\nb = x";
  with_nul += '\0';
  with_nul += "y\n";
  CHECK(parse_error(with_nul) == "renewal/x.conf line 2: NUL byte in line");
}

// configobj's quoted item is the regex '.*?' (lazy, but backtracking): it ends
// at the first quote after which the line can go on, so a hand-edited value
// with the same quote inside still reads as configobj 5.0.8 reads it.
TEST_CASE("configobj: quotes inside a quoted value or key read as configobj's regex reads them",
          "[store][configobj]") {
  auto value_of = [](const std::string& line) {
    auto conf = ConfigObj::parse(line + "\n", "x");
    return *conf.root().value(conf.root().keys().front());
  };
  using certsmith::store::ConfigValue;
  CHECK(value_of("k = 'a' 'b'") == ConfigValue{false, {"a' 'b"}});
  CHECK(value_of("k = 'it''s'") == ConfigValue{false, {"it''s"}});
  CHECK(value_of("k = 'a' # x 'b'") == ConfigValue{false, {"a"}});
  CHECK(value_of("k = 'a, b' 'c', d") == ConfigValue{true, {"a, b' 'c", "d"}});
  CHECK(value_of("k = 'a' , 'b' 'c'") == ConfigValue{true, {"a", "b' 'c"}});
  CHECK(ConfigObj::parse("'a'b' = v\n", "x").root().get("a'b") == "v");
  for (const char* bad : {"k = 'a', 'b' x\n", "k = \"x\" y \"z\" w\n", "k = 'a\n"}) {
    INFO(bad);
    CHECK_THAT(parse_error(bad), Catch::StartsWith("renewal/x.conf line 1: "));
  }
  // Each of these read back as they were written.
  for (const char* text : {"k = 'a' 'b'\n", "'a'b' = v\n", "k = 'a, b' 'c', d\n"})
    CHECK(ConfigObj::parse(text, "x").to_string() == text);
}
