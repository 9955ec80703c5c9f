#pragma once
// The DNS seam: queries sent to one chosen server, and RFC 2136 dynamic updates
// signed with TSIG (RFC 8945). The ldns implementation is the real one; tests of
// propagation and of the RFC 2136 authenticator use a fake.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::dns {

/// A server to send to: an IPv4/IPv6 address literal and a port.
struct NameServer {
  std::string address;
  std::uint16_t port = 53;
  bool operator==(const NameServer&) const = default;
};

enum class RecordType { a, aaaa, txt, cname, ns, soa, caa, mx };

struct Record {
  std::string owner; // absolute, lower-case, without the trailing dot
  RecordType type;
  std::uint32_t ttl = 0;
  std::string data; // TXT: the joined character-strings, unquoted; CNAME/NS: the
                    // target without trailing dot; SOA: the MNAME; A/AAAA: the
                    // address text; CAA: "flags tag value"; MX: the
                    // exchange without trailing dot
};

struct Answer {
  int rcode = 0;              // 0 NOERROR, 3 NXDOMAIN, ...
  bool authoritative = false; // AA bit
  std::vector<Record> answer;
  std::vector<Record> authority;
};

/// TSIG key as certbot-dns-rfc2136 names it: key name, base64 secret, and the
/// algorithm ("hmac-sha256", "hmac-sha512", also "hmac-sha384", "hmac-sha224",
/// "hmac-sha1", "hmac-md5" for older servers).
struct TsigKey {
  std::string name;
  std::string secret_base64;
  std::string algorithm = "hmac-sha512";
};

/// One change of an RFC 2136 update in `zone`.
struct UpdateChange {
  enum class Kind { add, remove } kind = Kind::add;
  std::string owner; // absolute name
  std::string txt;   // TXT value (add: with ttl; remove: exactly this value)
  std::uint32_t ttl = 60;
};

class DnsClient {
public:
  virtual ~DnsClient() = default;
  /// Ask `server` for (name, type), recursion desired or not. Throws
  /// NetworkError (util/error.hpp) when the server does not answer in time or
  /// answers garbage; a DNS error rcode is returned, not thrown.
  virtual Answer query(const NameServer& server, const std::string& name, RecordType type,
                       bool recursion_desired) = 0;
  /// Send one RFC 2136 update for `zone` to `server`, TSIG-signed with `key`,
  /// and check the signed answer. Throws ChallengeError with a one-line reason
  /// for a refused update (NOTAUTH/REFUSED/BADSIG/BADKEY named plainly) and
  /// NetworkError when the server does not answer.
  virtual void update(const NameServer& server, const std::string& zone,
                      const std::vector<UpdateChange>& changes, const TsigKey& key) = 0;
};

/// True when `secret` is a TSIG secret ldns can sign with: non-empty canonical
/// base64, padded with '=' to a multiple of 4 characters (as tsig-keygen and
/// certbot-dns-rfc2136 write it). The credentials reader uses the same rule.
bool is_tsig_secret(std::string_view secret);

/// The ldns client, over UDP with TCP fallback, `timeout` per exchange.
std::unique_ptr<DnsClient> make_ldns_client(std::chrono::milliseconds timeout);

/// The system's recursive resolvers from /etc/resolv.conf (nameserver lines).
std::vector<NameServer> system_resolvers();

/// "127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1" -> NameServer. Throws
/// UsageError for anything else (host names are not resolved here).
NameServer parse_name_server(const std::string& text, std::uint16_t default_port = 53);

} // namespace certsmith::dns
