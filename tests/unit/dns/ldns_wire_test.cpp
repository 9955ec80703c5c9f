// Packet-level tests of the ldns client's messages: what it sends, and how it
// reads (or refuses) what comes back, with answers built here as wire bytes.

#include "dns/ldns_include.hpp"
#include "dns/ldns_wire.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

using certsmith::NetworkError;
using certsmith::UsageError;
using namespace certsmith::dns;
using wire::Bytes;

namespace {

const std::string server = "192.0.2.53:53";

Bytes to_bytes(const ldns_pkt* pkt) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&data, pkt, &size) == LDNS_STATUS_OK);
  Bytes bytes(data, data + size);
  std::free(data);
  return bytes;
}

wire::Packet from_bytes(const Bytes& bytes) {
  ldns_pkt* pkt = nullptr;
  REQUIRE(ldns_wire2pkt(&pkt, bytes.data(), bytes.size()) == LDNS_STATUS_OK);
  return wire::Packet(pkt);
}

void push(ldns_pkt* pkt, ldns_pkt_section section, const std::string& text) {
  ldns_rr* rr = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
  ldns_pkt_push_rr(pkt, section, rr);
}

/// A response to (qname, qtype) with `id`, answer and authority records in zone-file syntax.
wire::Packet response(std::uint16_t id, const std::string& qname, ldns_rr_type qtype,
                      const std::vector<std::string>& answer,
                      const std::vector<std::string>& authority = {}) {
  wire::Packet pkt(
      ldns_pkt_query_new(ldns_dname_new_frm_str(qname.c_str()), qtype, LDNS_RR_CLASS_IN, 0));
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_pkt_set_aa(pkt.get(), true);
  for (const auto& text : answer) {
    push(pkt.get(), LDNS_SECTION_ANSWER, text);
  }
  for (const auto& text : authority) {
    push(pkt.get(), LDNS_SECTION_AUTHORITY, text);
  }
  return pkt;
}

} // namespace

TEST_CASE("queries carry the id, the question, the RD bit as asked, and EDNS0") {
  for (bool rd : {true, false}) {
    auto pkt =
        from_bytes(wire::query_packet("_acme-challenge.Example.com", RecordType::txt, rd, 0x1234));
    CHECK(ldns_pkt_id(pkt.get()) == 0x1234);
    CHECK(ldns_pkt_rd(pkt.get()) == rd);
    CHECK_FALSE(ldns_pkt_qr(pkt.get()));
    CHECK(ldns_pkt_edns_udp_size(pkt.get()) == 1232);
    REQUIRE(ldns_pkt_qdcount(pkt.get()) == 1);
    const ldns_rr* q = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
    CHECK(ldns_rr_get_type(q) == LDNS_RR_TYPE_TXT);
    char* owner = ldns_rdf2str(ldns_rr_owner(q));
    CHECK(std::string(owner) == "_acme-challenge.Example.com.");
    std::free(owner);
  }
  CHECK_THROWS_AS(wire::query_packet("a..b", RecordType::a, false, 1), UsageError);
  CHECK_THROWS_AS(wire::query_packet("", RecordType::a, false, 1), UsageError);
  CHECK_THROWS_AS(wire::query_packet(std::string(300, 'a'), RecordType::a, false, 1), UsageError);
}

TEST_CASE("answers: TXT character-strings joined, names lower-case without the dot") {
  auto pkt = response(7, "_ACME-challenge.example.com.", LDNS_RR_TYPE_TXT,
                      {"_ACME-Challenge.Example.COM. 120 IN TXT \"abc\" \"def\"",
                       "_acme-challenge.example.com. 120 IN TXT \"with \\\"quote\\\" and space\"",
                       "_acme-challenge.example.com. 120 IN TXT \"\""},
                      {"Example.com. 300 IN SOA NS1.example.com. host.example.com. 1 2 3 4 5"});
  Answer answer = wire::parse_answer(to_bytes(pkt.get()), 7, "_acme-challenge.example.com",
                                     RecordType::txt, server);
  CHECK(answer.rcode == 0);
  CHECK(answer.authoritative);
  REQUIRE(answer.answer.size() == 3);
  CHECK(answer.answer[0].owner == "_acme-challenge.example.com");
  CHECK(answer.answer[0].type == RecordType::txt);
  CHECK(answer.answer[0].ttl == 120);
  CHECK(answer.answer[0].data == "abcdef");
  CHECK(answer.answer[1].data == "with \"quote\" and space");
  CHECK(answer.answer[2].data.empty());
  REQUIRE(answer.authority.size() == 1);
  CHECK(answer.authority[0].type == RecordType::soa);
  CHECK(answer.authority[0].owner == "example.com");
  CHECK(answer.authority[0].data == "ns1.example.com");
}

TEST_CASE("answers: CNAME, NS, A, AAAA, CAA and MX data") {
  auto pkt = response(9, "a.example.com.", LDNS_RR_TYPE_CNAME,
                      {"a.example.com. 60 IN CNAME X.Acme-Delegate.test.",
                       "x.acme-delegate.test. 60 IN A 192.0.2.1",
                       "x.acme-delegate.test. 60 IN AAAA 2001:db8::1",
                       "example.com. 60 IN NS ns1.example.com.",
                       "example.com. 60 IN CAA 0 issue \"letsencrypt.org\"",
                       "example.com. 60 IN MX 10 mail.example.com."});
  Answer answer =
      wire::parse_answer(to_bytes(pkt.get()), 9, "A.example.COM", RecordType::cname, server);
  REQUIRE(answer.answer.size() == 6);
  CHECK(answer.answer[0].data == "x.acme-delegate.test");
  CHECK(answer.answer[1].data == "192.0.2.1");
  CHECK(answer.answer[2].data == "2001:db8::1");
  CHECK(answer.answer[3].type == RecordType::ns);
  CHECK(answer.answer[3].data == "ns1.example.com");
  CHECK(answer.answer[4].type == RecordType::caa);
  CHECK(answer.answer[4].data == "0 issue letsencrypt.org");
  CHECK(answer.answer[5].type == RecordType::mx);
  CHECK(answer.answer[5].data == "mail.example.com"); // the exchange, not the preference
}

TEST_CASE("answers: an error rcode is returned, not thrown") {
  auto pkt = response(3, "nx.example.com.", LDNS_RR_TYPE_TXT, {});
  ldns_pkt_set_rcode(pkt.get(), LDNS_RCODE_NXDOMAIN);
  Answer answer =
      wire::parse_answer(to_bytes(pkt.get()), 3, "nx.example.com", RecordType::txt, server);
  CHECK(answer.rcode == 3);
  CHECK(answer.answer.empty());
}

TEST_CASE("answers: a TXT record of 60 kB is mapped whole") {
  std::string record = "big.example.com. 60 IN TXT";
  for (int i = 0; i < 230; ++i) {
    record += " \"" + std::string(255, static_cast<char>('a' + i % 26)) + "\"";
  }
  auto pkt = response(11, "big.example.com.", LDNS_RR_TYPE_TXT, {record});
  Answer answer =
      wire::parse_answer(to_bytes(pkt.get()), 11, "big.example.com", RecordType::txt, server);
  REQUIRE(answer.answer.size() == 1);
  CHECK(answer.answer[0].data.size() == 230 * 255);
}

TEST_CASE("hostile answers: wrong id, a query, another question are network errors") {
  auto pkt = response(5, "a.example.com.", LDNS_RR_TYPE_TXT, {});
  Bytes bytes = to_bytes(pkt.get());
  CHECK_THROWS_WITH(wire::parse_answer(bytes, 6, "a.example.com", RecordType::txt, server),
                    Catch::Contains("wrong id") && Catch::Contains(server));
  CHECK_THROWS_AS(wire::parse_answer(bytes, 5, "b.example.com", RecordType::txt, server),
                  NetworkError);
  CHECK_THROWS_AS(wire::parse_answer(bytes, 5, "a.example.com", RecordType::a, server),
                  NetworkError);
  ldns_pkt_set_qr(pkt.get(), false);
  CHECK_THROWS_AS(
      wire::parse_answer(to_bytes(pkt.get()), 5, "a.example.com", RecordType::txt, server),
      NetworkError);
}

TEST_CASE("hostile answers: every truncation and random garbage give errors, never a crash") {
  auto pkt = response(21, "a.example.com.", LDNS_RR_TYPE_TXT,
                      {"a.example.com. 60 IN TXT \"value\"", "a.example.com. 60 IN A 192.0.2.1"});
  Bytes whole = to_bytes(pkt.get());
  for (std::size_t size = 0; size < whole.size(); ++size) {
    Bytes cut(whole.begin(), whole.begin() + static_cast<long>(size));
    INFO(size);
    CHECK_THROWS_AS(wire::parse_answer(cut, 21, "a.example.com", RecordType::txt, server),
                    NetworkError);
  }
  std::mt19937 random(42);
  for (int i = 0; i < 2000; ++i) {
    Bytes noise(random() % 600);
    for (auto& b : noise) {
      b = static_cast<std::uint8_t>(random());
    }
    if (noise.size() >= 2) {
      noise[0] = 0, noise[1] = 21; // the right id, so parsing gets further
    }
    try {
      wire::parse_answer(noise, 21, "a.example.com", RecordType::txt, server);
    } catch (const NetworkError&) {
    } catch (const UsageError&) {
    }
  }
  // Flipped bytes in a valid answer: parsed or refused, never a crash.
  for (std::size_t i = 0; i < whole.size(); ++i) {
    Bytes flipped = whole;
    flipped[i] ^= 0xff;
    try {
      wire::parse_answer(flipped, 21, "a.example.com", RecordType::txt, server);
    } catch (const NetworkError&) {
    }
  }
}

TEST_CASE("the TC bit is seen") {
  auto pkt = response(1, "a.example.com.", LDNS_RR_TYPE_TXT, {});
  CHECK_FALSE(wire::truncated(to_bytes(pkt.get())));
  ldns_pkt_set_tc(pkt.get(), true);
  CHECK(wire::truncated(to_bytes(pkt.get())));
  CHECK_FALSE(wire::truncated(Bytes{0, 1, 2}));
}

TEST_CASE("updates: zone section, adds with class IN and ttl, one-value deletes with NONE") {
  std::string long_value(300, 'v');
  auto update = wire::update_packet(
      "example.test",
      {{UpdateChange::Kind::add, "_acme-challenge.example.test", "token-1", 120},
       {UpdateChange::Kind::remove, "_acme-challenge.example.test.", "token-0", 120},
       {UpdateChange::Kind::add, "_acme-challenge.example.test", long_value, 60}},
      0x4242);
  auto pkt = from_bytes(to_bytes(update.get()));
  CHECK(ldns_pkt_get_opcode(pkt.get()) == LDNS_PACKET_UPDATE);
  CHECK(ldns_pkt_id(pkt.get()) == 0x4242);
  CHECK_FALSE(ldns_pkt_rd(pkt.get()));
  const ldns_rr* zone = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
  CHECK(ldns_rr_get_type(zone) == LDNS_RR_TYPE_SOA);
  const ldns_rr_list* changes = ldns_pkt_authority(pkt.get()); // the update section
  REQUIRE(ldns_rr_list_rr_count(changes) == 3);
  const ldns_rr* add = ldns_rr_list_rr(changes, 0);
  CHECK(ldns_rr_get_class(add) == LDNS_RR_CLASS_IN);
  CHECK(ldns_rr_ttl(add) == 120);
  const ldns_rr* remove = ldns_rr_list_rr(changes, 1);
  CHECK(ldns_rr_get_class(remove) == LDNS_RR_CLASS_NONE);
  CHECK(ldns_rr_ttl(remove) == 0);
  const ldns_rr* split = ldns_rr_list_rr(changes, 2);
  REQUIRE(ldns_rr_rd_count(split) == 2); // 255 + 45 bytes
  CHECK(ldns_rdf_size(ldns_rr_rdf(split, 0)) == 256);
  CHECK(ldns_rdf_size(ldns_rr_rdf(split, 1)) == 46);
  CHECK_THROWS_AS(
      wire::update_packet("example.test", {{UpdateChange::Kind::add, "a..b", "x", 1}}, 1),
      UsageError);
}

TEST_CASE("TSIG: algorithms by certbot's names, bad secrets refused before sending") {
  CHECK(wire::tsig_algorithm_name("HMAC-SHA512") == "hmac-sha512.");
  CHECK(wire::tsig_algorithm_name("hmac-sha256") == "hmac-sha256.");
  CHECK(wire::tsig_algorithm_name("HMAC-MD5") == "hmac-md5.sig-alg.reg.int.");
  CHECK_THROWS_AS(wire::tsig_algorithm_name("gss-tsig"), UsageError);
  CHECK_THROWS_AS(wire::tsig_algorithm_name(""), UsageError);
  auto update = wire::update_packet("example.test",
                                    {{UpdateChange::Kind::add, "a.example.test", "x", 60}}, 1);
  CHECK_THROWS_WITH(wire::sign_update(*update, TsigKey{"k", "not base64 !!!", "hmac-sha256"}),
                    Catch::Contains("is not base64"));
  CHECK_THROWS_AS(wire::sign_update(*update, TsigKey{"k", "", "hmac-sha256"}), UsageError);
  CHECK_THROWS_AS(wire::sign_update(*update, TsigKey{"k", "c2VjcmV0", "gss-tsig"}), UsageError);
}

TEST_CASE("TSIG: HMAC-SHA384 and HMAC-SHA224, which ldns cannot compute, are refused plainly") {
  CHECK_THROWS_WITH(wire::tsig_algorithm_name("HMAC-SHA384"),
                    "TSIG algorithm HMAC-SHA384 is not supported here: use HMAC-SHA256 or "
                    "HMAC-SHA512");
  CHECK_THROWS_WITH(wire::tsig_algorithm_name("hmac-sha224."),
                    Catch::StartsWith("TSIG algorithm HMAC-SHA224 is not supported here"));
  auto update = wire::update_packet("example.test",
                                    {{UpdateChange::Kind::add, "a.example.test", "x", 60}}, 1);
  CHECK_THROWS_AS(wire::sign_update(*update, TsigKey{"k", "c2VjcmV0", "hmac-sha384"}), UsageError);
  // Every algorithm still offered really signs.
  for (const char* algorithm : {"HMAC-SHA512", "HMAC-SHA256", "HMAC-SHA1", "HMAC-MD5"}) {
    CHECK_NOTHROW(wire::sign_update(*update, TsigKey{"k", "c2VjcmV0", algorithm}));
    ldns_rr_free(ldns_pkt_tsig(update.get()));
    ldns_pkt_set_tsig(update.get(), nullptr);
  }
}

TEST_CASE("TSIG: is_tsig_secret accepts exactly the secrets ldns signs with") {
  for (const char* good :
       {"YQ==", "YWI=", "YWJj", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=", "+/+/", "AA=="}) {
    INFO(good);
    CHECK(is_tsig_secret(good));
    ldns_pkt* pkt = ldns_pkt_new();
    CHECK(ldns_pkt_tsig_sign(pkt, "k.", good, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
    ldns_pkt_free(pkt);
  }
  // Unpadded (ldns refuses it at signing), stray bits, padding in the middle,
  // whitespace, other alphabets, empty.
  for (const char* bad : {"YWJ", "YQ", "YR==", "YWJ=", "Y===", "====", "YQ==YQ==", "YQ= =",
                          "YQ==\n", "YW-_", "", "Y Q=", "YQ\0="}) {
    INFO(bad);
    CHECK_FALSE(is_tsig_secret(bad));
  }
  CHECK_FALSE(is_tsig_secret(std::string_view("YQ\0=", 4)));
  auto update = wire::update_packet("example.test",
                                    {{UpdateChange::Kind::add, "a.example.test", "x", 60}}, 1);
  CHECK_THROWS_WITH(wire::sign_update(*update, TsigKey{"k", "YWJ", "hmac-sha256"}),
                    Catch::Contains("is not base64 (padded with '='"));
}

TEST_CASE("TSIG: a signed answer verifies with the key and not with another") {
  TsigKey key{"certsmith-key", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=", "hmac-sha256"};
  auto update = wire::update_packet("example.test",
                                    {{UpdateChange::Kind::add, "a.example.test", "x", 60}}, 77);
  wire::SignedUpdate signed_update = wire::sign_update(*update, key);
  auto sent = from_bytes(signed_update.wire);
  REQUIRE(ldns_pkt_tsig(sent.get()) != nullptr);

  // The server's answer, signed over the request MAC as RFC 8945 says.
  wire::Packet reply(ldns_pkt_new());
  ldns_pkt_set_opcode(reply.get(), LDNS_PACKET_UPDATE);
  ldns_pkt_set_id(reply.get(), 77);
  ldns_pkt_set_qr(reply.get(), true);
  ldns_rdf* mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, signed_update.request_mac.size(),
                                        signed_update.request_mac.data());
  REQUIRE(ldns_pkt_tsig_sign(reply.get(), "certsmith-key.", key.secret_base64.c_str(), 300,
                             "hmac-sha256.", mac) == LDNS_STATUS_OK);
  ldns_rdf_deep_free(mac);
  Bytes answer = to_bytes(reply.get());

  auto good = wire::parse_update_answer(answer, 77, key, signed_update.request_mac, server);
  CHECK(good.rcode == 0);
  CHECK(good.tsig_error == 0);
  CHECK(good.tsig_verified);
  TsigKey other = key;
  other.secret_base64 = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI=";
  CHECK_FALSE(wire::parse_update_answer(answer, 77, other, signed_update.request_mac, server)
                  .tsig_verified);
  // A secret ldns cannot use makes its verify fail half-way (the TSIG RR
  // detached from the packet): false, and nothing leaked (ASan/LSan).
  other.secret_base64 = "not base64!";
  CHECK_FALSE(wire::parse_update_answer(answer, 77, other, signed_update.request_mac, server)
                  .tsig_verified);
  CHECK_THROWS_AS(wire::parse_update_answer(answer, 78, key, signed_update.request_mac, server),
                  NetworkError);

  // An unsigned NOERROR answer does not count as done.
  ldns_rr_free(ldns_pkt_tsig(reply.get()));
  ldns_pkt_set_tsig(reply.get(), nullptr);
  CHECK_FALSE(
      wire::parse_update_answer(to_bytes(reply.get()), 77, key, signed_update.request_mac, server)
          .tsig_verified);
}

TEST_CASE("refused updates are explained in one line") {
  auto text = [](int rcode, int tsig_error) {
    return wire::update_failure({rcode, tsig_error, false}, "127.0.0.1:5353", "example.test");
  };
  CHECK(text(9, 16) == "the DNS server 127.0.0.1:5353 refused the update for example.test: the "
                       "TSIG key was not accepted (BADSIG: wrong secret or algorithm)");
  CHECK_THAT(text(9, 17), Catch::Contains("(BADKEY)"));
  CHECK_THAT(text(9, 18), Catch::Contains("clock (BADTIME)"));
  CHECK_THAT(text(9, 0), Catch::Contains("(NOTAUTH)"));
  CHECK_THAT(text(5, 0), Catch::Contains("(REFUSED)"));
  CHECK_THAT(text(10, 0), Catch::Contains("(NOTZONE)"));
  CHECK_THAT(text(2, 0), Catch::Contains("SERVFAIL (rcode 2)"));
  CHECK_THAT(text(0, 0), Catch::Contains("no valid TSIG signature"));
  CHECK_THAT(text(15, 0), Catch::Contains("rcode 15"));
}
