#pragma once
// DNS messages built and read with ldns, without any network: the query and
// UPDATE packets certsmith sends, and the checks and mapping of what comes
// back. Split from the socket code so hostile answers can be tested as bytes.

#include "dns/dns_client.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct ldns_struct_pkt;

namespace certsmith::dns::wire {

using Bytes = std::vector<std::uint8_t>;

struct PacketDeleter {
  void operator()(ldns_struct_pkt* pkt) const;
};
using Packet = std::unique_ptr<ldns_struct_pkt, PacketDeleter>;

/// A query for (name, type, class IN) with `id`, the RD bit as asked, and
/// EDNS0 with a 1232-byte UDP payload. Throws UsageError for a name ldns cannot encode.
Bytes query_packet(const std::string& name, RecordType type, bool recursion_desired,
                   std::uint16_t id);

/// The answer to the query with `id` for (name, type), checked (a response, the
/// same id and question) and mapped. `server` names the sender in errors.
/// Throws NetworkError for anything that is not such an answer.
Answer parse_answer(const Bytes& wire, std::uint16_t expected_id, const std::string& name,
                    RecordType type, const std::string& server);

/// True when the bytes are a DNS message header with the TC bit set.
bool truncated(const Bytes& wire);

/// An RFC 2136 UPDATE for `zone` with `id`: adds (class IN, ttl) and deletions
/// of single TXT values (class NONE, ttl 0). Unsigned. Throws UsageError for
/// names ldns cannot encode.
Packet update_packet(const std::string& zone, const std::vector<UpdateChange>& changes,
                     std::uint16_t id);

/// Signs `update` with `key` (TSIG, fudge 300 s) and returns its wire form and
/// the request MAC needed to verify the answer. Throws UsageError for an
/// unknown algorithm or a secret that is not base64.
struct SignedUpdate {
  Bytes wire;
  Bytes request_mac; // the MAC rdata as ldns keeps it
};
SignedUpdate sign_update(ldns_struct_pkt& update, const TsigKey& key);

/// The outcome of an UPDATE answer: checked id, the rcode, the TSIG error (0 when
/// none or no TSIG), and whether the answer's TSIG verified against `key`.
struct UpdateResult {
  int rcode = 0;
  int tsig_error = 0;
  bool tsig_verified = false;
};
UpdateResult parse_update_answer(const Bytes& wire, std::uint16_t expected_id, const TsigKey& key,
                                 const Bytes& request_mac, const std::string& server);

/// "the DNS server S refused the update for Z: <why>" for a failed UpdateResult,
/// naming NOTAUTH / REFUSED / BADSIG / BADKEY / BADTIME / NOTZONE plainly.
std::string update_failure(const UpdateResult& result, const std::string& server,
                           const std::string& zone);

/// "hmac-sha256" -> "hmac-sha256." as TSIG names it ("hmac-md5" is
/// "hmac-md5.sig-alg.reg.int."); case-insensitive. Throws UsageError otherwise.
std::string tsig_algorithm_name(const std::string& algorithm);

} // namespace certsmith::dns::wire
