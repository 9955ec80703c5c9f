// Building and reading DNS messages with ldns. Everything that comes from the
// network is parsed by ldns_wire2pkt and then checked field by field: a
// truncated or hostile packet becomes a NetworkError, never a crash.

#include "dns/ldns_wire.hpp"

#include "dns/ldns_include.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

namespace certsmith::dns::wire {

void PacketDeleter::operator()(ldns_struct_pkt* pkt) const {
  ldns_pkt_free(pkt);
}

namespace {

struct RdfDeleter {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using Rdf = std::unique_ptr<ldns_rdf, RdfDeleter>;
struct RrListDeleter {
  void operator()(ldns_rr_list* list) const { ldns_rr_list_deep_free(list); }
};
struct MallocDeleter {
  void operator()(void* p) const { std::free(p); }
};
using CString = std::unique_ptr<char, MallocDeleter>;

ldns_rr_type ldns_type(RecordType type) {
  switch (type) {
  case RecordType::a:
    return LDNS_RR_TYPE_A;
  case RecordType::aaaa:
    return LDNS_RR_TYPE_AAAA;
  case RecordType::txt:
    return LDNS_RR_TYPE_TXT;
  case RecordType::cname:
    return LDNS_RR_TYPE_CNAME;
  case RecordType::ns:
    return LDNS_RR_TYPE_NS;
  case RecordType::soa:
    return LDNS_RR_TYPE_SOA;
  case RecordType::caa:
    return LDNS_RR_TYPE_CAA;
  case RecordType::mx:
    return LDNS_RR_TYPE_MX;
  }
  return LDNS_RR_TYPE_A;
}

std::optional<RecordType> record_type(ldns_rr_type type) {
  for (auto t : {RecordType::a, RecordType::aaaa, RecordType::txt, RecordType::cname,
                 RecordType::ns, RecordType::soa, RecordType::caa, RecordType::mx}) {
    if (ldns_type(t) == type) {
      return t;
    }
  }
  return std::nullopt;
}

std::string absolute(const std::string& name) {
  return !name.empty() && name.back() == '.' ? name : name + ".";
}

/// A domain name as ldns encodes it; UsageError when it cannot (empty labels, > 255 bytes...).
Rdf dname(const std::string& name) {
  Rdf rdf(name.empty() ? nullptr : ldns_dname_new_frm_str(absolute(name).c_str()));
  if (!rdf) {
    throw UsageError("'" + util::escape_untrusted(name, 300) + "' is not a valid DNS name");
  }
  return rdf;
}

std::string to_string(const ldns_rdf* rdf) {
  if (rdf == nullptr) {
    return {};
  }
  CString text(ldns_rdf2str(rdf));
  return text ? std::string(text.get()) : std::string();
}

/// Lower-case (ASCII), without the trailing dot: the form Record promises.
std::string normalized_name(const ldns_rdf* rdf) {
  std::string text = to_string(rdf);
  if (!text.empty() && text.back() == '.') {
    text.pop_back();
  }
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The bytes of a <character-string> rdf (length octet first), clamped to the rdf.
std::string character_string(const ldns_rdf* rdf) {
  std::size_t size = ldns_rdf_size(rdf);
  const std::uint8_t* data = ldns_rdf_data(rdf);
  if (size == 0 || data == nullptr) {
    return {};
  }
  std::size_t length = std::min<std::size_t>(data[0], size - 1);
  return std::string(reinterpret_cast<const char*>(data + 1), length);
}

std::optional<Record> to_record(const ldns_rr* rr) {
  auto type = record_type(ldns_rr_get_type(rr));
  if (!type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
    return std::nullopt; // RRSIG, OPT, other classes: not ours to map
  }
  Record record{normalized_name(ldns_rr_owner(rr)), *type, ldns_rr_ttl(rr), {}};
  std::size_t count = ldns_rr_rd_count(rr);
  if (*type != RecordType::txt && count == 0) {
    return std::nullopt;
  }
  switch (*type) {
  case RecordType::a:
  case RecordType::aaaa:
    record.data = to_string(ldns_rr_rdf(rr, 0));
    break;
  case RecordType::cname:
  case RecordType::ns:
  case RecordType::soa: // the MNAME
    record.data = normalized_name(ldns_rr_rdf(rr, 0));
    break;
  case RecordType::mx: // the exchange, after the preference
    if (count < 2) {
      return std::nullopt;
    }
    record.data = normalized_name(ldns_rr_rdf(rr, 1));
    break;
  case RecordType::txt:
    for (std::size_t i = 0; i < count; ++i) {
      record.data += character_string(ldns_rr_rdf(rr, i));
    }
    break;
  case RecordType::caa: {
    if (count < 3) {
      return std::nullopt;
    }
    const ldns_rdf* value = ldns_rr_rdf(rr, 2);
    std::string value_text =
        ldns_rdf_get_type(value) == LDNS_RDF_TYPE_LONG_STR
            ? std::string(reinterpret_cast<const char*>(ldns_rdf_data(value)), ldns_rdf_size(value))
            : to_string(value);
    record.data =
        to_string(ldns_rr_rdf(rr, 0)) + " " + to_string(ldns_rr_rdf(rr, 1)) + " " + value_text;
    break;
  }
  }
  return record;
}

std::vector<Record> to_records(const ldns_rr_list* list) {
  std::vector<Record> records;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    if (auto record = to_record(ldns_rr_list_rr(list, i))) {
      records.push_back(std::move(*record));
    }
  }
  return records;
}

Bytes to_wire(const ldns_pkt* pkt) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&data, pkt, &size) != LDNS_STATUS_OK || data == nullptr) {
    std::free(data);
    throw UsageError("could not encode a DNS message");
  }
  Bytes wire(data, data + size);
  std::free(data);
  return wire;
}

/// Parses `wire` and checks that it is a response to our message `expected_id`.
Packet parse_response(const Bytes& wire, std::uint16_t expected_id, const std::string& server) {
  ldns_pkt* raw = nullptr;
  ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
  Packet pkt(raw);
  if (status != LDNS_STATUS_OK || !pkt) {
    throw NetworkError("the DNS server " + server + " sent a malformed answer (" +
                       ldns_get_errorstr_by_id(status) + ")");
  }
  if (!ldns_pkt_qr(pkt.get())) {
    throw NetworkError("the DNS server " + server + " sent a query instead of an answer");
  }
  if (ldns_pkt_id(pkt.get()) != expected_id) {
    throw NetworkError("the DNS server " + server + " sent an answer with the wrong id");
  }
  return pkt;
}

const char* rcode_name(int rcode) {
  static const char* const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                      "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                      "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode >= 0 && rcode <= 10 ? names[rcode] : "an unknown error";
}

} // namespace

std::string tsig_algorithm_name(const std::string& algorithm) {
  std::string lower = algorithm;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!lower.empty() && lower.back() == '.') {
    lower.pop_back();
  }
  if (lower == "hmac-md5" || lower == "hmac-md5.sig-alg.reg.int") {
    return "hmac-md5.sig-alg.reg.int.";
  }
  for (const char* known : {"hmac-sha1", "hmac-sha256", "hmac-sha512"}) {
    if (lower == known) {
      return lower + ".";
    }
  }
  // ldns 1.8.3 computes only these MACs (its table misspells hmac-sha384), so a
  // key of another algorithm would fail at every update with a vague error.
  if (lower == "hmac-sha384" || lower == "hmac-sha224") {
    std::string upper = lower;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    throw UsageError("TSIG algorithm " + upper +
                     " is not supported here: use HMAC-SHA256 or HMAC-SHA512");
  }
  throw UsageError("unknown TSIG algorithm '" + util::escape_untrusted(algorithm, 60) +
                   "' (use HMAC-SHA512, HMAC-SHA256, HMAC-SHA1 or HMAC-MD5)");
}

Bytes query_packet(const std::string& name, RecordType type, bool recursion_desired,
                   std::uint16_t id) {
  Rdf owner = dname(name);
  Packet pkt(ldns_pkt_query_new(owner.release(), ldns_type(type), LDNS_RR_CLASS_IN,
                                recursion_desired ? LDNS_RD : 0));
  if (!pkt) {
    throw UsageError("could not build a DNS query for '" + util::escape_untrusted(name, 300) + "'");
  }
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_rd(pkt.get(), recursion_desired);
  ldns_pkt_set_edns_udp_size(pkt.get(), 1232); // the DNS flag day 2020 size: no fragments
  return to_wire(pkt.get());
}

bool truncated(const Bytes& wire) {
  return wire.size() >= 12 && (wire[2] & 0x02) != 0;
}

Answer parse_answer(const Bytes& wire, std::uint16_t expected_id, const std::string& name,
                    RecordType type, const std::string& server) {
  Packet pkt = parse_response(wire, expected_id, server);
  Answer answer;
  answer.rcode = ldns_pkt_get_rcode(pkt.get());
  answer.authoritative = ldns_pkt_aa(pkt.get());
  // The question must be ours; servers may leave it out only with an error rcode.
  const ldns_rr_list* question = ldns_pkt_question(pkt.get());
  std::size_t questions = question ? ldns_rr_list_rr_count(question) : 0;
  if (questions != 0 || answer.rcode == LDNS_RCODE_NOERROR) {
    Rdf asked = dname(name);
    const ldns_rr* q = questions == 1 ? ldns_rr_list_rr(question, 0) : nullptr;
    if (q == nullptr || ldns_rr_get_type(q) != ldns_type(type) ||
        ldns_dname_compare(ldns_rr_owner(q), asked.get()) != 0) {
      throw NetworkError("the DNS server " + server + " answered a different question");
    }
  }
  answer.answer = to_records(ldns_pkt_answer(pkt.get()));
  answer.authority = to_records(ldns_pkt_authority(pkt.get()));
  return answer;
}

Packet update_packet(const std::string& zone, const std::vector<UpdateChange>& changes,
                     std::uint16_t id) {
  std::unique_ptr<ldns_rr_list, RrListDeleter> updates(ldns_rr_list_new());
  for (const UpdateChange& change : changes) {
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_list_push_rr(updates.get(), rr); // owned by the list from here on
    ldns_rr_set_owner(rr, dname(change.owner).release());
    ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
    bool add = change.kind == UpdateChange::Kind::add;
    // RFC 2136 2.5.1 adds with class IN; 2.5.4 deletes one RR with class NONE and ttl 0.
    ldns_rr_set_class(rr, add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
    ldns_rr_set_ttl(rr, add ? change.ttl : 0);
    std::size_t offset = 0;
    do { // character-strings of at most 255 bytes; an empty value is one empty string
      std::size_t length = std::min<std::size_t>(255, change.txt.size() - offset);
      std::uint8_t chunk[256];
      chunk[0] = static_cast<std::uint8_t>(length);
      std::copy_n(change.txt.data() + offset, length, chunk + 1);
      ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, length + 1, chunk));
      offset += length;
    } while (offset < change.txt.size());
  }
  std::unique_ptr<ldns_rr_list, RrListDeleter> none(ldns_rr_list_new());
  std::unique_ptr<ldns_rr_list, RrListDeleter> none2(ldns_rr_list_new());
  Packet pkt(ldns_update_pkt_new(dname(zone).release(), LDNS_RR_CLASS_IN, none.get(), updates.get(),
                                 none2.get()));
  if (!pkt) {
    throw UsageError("could not build a DNS update for '" + util::escape_untrusted(zone, 300) +
                     "'");
  }
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_rd(pkt.get(), false);
  return pkt;
}

SignedUpdate sign_update(ldns_struct_pkt& update, const TsigKey& key) {
  std::string algorithm = tsig_algorithm_name(key.algorithm);
  // Checked here: ldns's error path for a bad secret leaks, and its message is vague.
  if (!is_tsig_secret(key.secret_base64)) {
    throw UsageError("the TSIG secret of the key '" + util::escape_untrusted(key.name, 100) +
                     "' is not base64 (padded with '=' to a multiple of 4 characters)");
  }
  std::string key_name = absolute(key.name);
  ldns_status status = ldns_pkt_tsig_sign(&update, key_name.c_str(), key.secret_base64.c_str(), 300,
                                          algorithm.c_str(), nullptr);
  const ldns_rr* tsig = ldns_pkt_tsig(&update);
  if (status != LDNS_STATUS_OK || tsig == nullptr || ldns_rr_rdf(tsig, 3) == nullptr) {
    throw UsageError("could not sign the DNS update with the TSIG key '" +
                     util::escape_untrusted(key.name, 100) +
                     "': " + ldns_get_errorstr_by_id(status));
  }
  const ldns_rdf* mac = ldns_rr_rdf(tsig, 3);
  SignedUpdate signed_update;
  signed_update.request_mac.assign(ldns_rdf_data(mac), ldns_rdf_data(mac) + ldns_rdf_size(mac));
  signed_update.wire = to_wire(&update);
  return signed_update;
}

UpdateResult parse_update_answer(const Bytes& wire, std::uint16_t expected_id, const TsigKey& key,
                                 const Bytes& request_mac, const std::string& server) {
  Packet pkt = parse_response(wire, expected_id, server);
  UpdateResult result;
  result.rcode = ldns_pkt_get_rcode(pkt.get());
  const ldns_rr* tsig = ldns_pkt_tsig(pkt.get());
  if (tsig != nullptr && ldns_rr_rd_count(tsig) >= 6 && ldns_rdf_size(ldns_rr_rdf(tsig, 5)) == 2) {
    result.tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
  }
  if (tsig != nullptr) {
    Rdf mac(
        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request_mac.size(), request_mac.data()));
    std::string key_name = absolute(key.name);
    // ldns detaches the TSIG RR while it computes the MAC and, when that fails
    // (an algorithm it cannot compute, a bad secret), returns without putting it
    // back: the RR is then ours to free.
    ldns_rr* saved = ldns_pkt_tsig(pkt.get());
    result.tsig_verified =
        mac && ldns_pkt_tsig_verify(pkt.get(), wire.data(), wire.size(), key_name.c_str(),
                                    key.secret_base64.c_str(), mac.get());
    if (ldns_pkt_tsig(pkt.get()) == nullptr) {
      ldns_rr_free(saved);
    }
  }
  return result;
}

std::string update_failure(const UpdateResult& result, const std::string& server,
                           const std::string& zone) {
  std::string why;
  switch (result.tsig_error) {
  case 16:
    why = "the TSIG key was not accepted (BADSIG: wrong secret or algorithm)";
    break;
  case 17:
    why = "the server does not know this TSIG key and algorithm (BADKEY)";
    break;
  case 18:
    why = "the TSIG signature time is outside the server's window; check this machine's "
          "clock (BADTIME)";
    break;
  default:
    if (result.tsig_error != 0) {
      why = "TSIG error " + std::to_string(result.tsig_error);
    }
  }
  if (why.empty()) {
    switch (result.rcode) {
    case LDNS_RCODE_NOERROR:
      why = "its answer carries no valid TSIG signature for our key";
      break;
    case LDNS_RCODE_NOTAUTH:
      why = "the server is not authoritative for the zone or did not accept the key (NOTAUTH)";
      break;
    case LDNS_RCODE_REFUSED:
      why = "the server's policy does not allow this key to update the zone (REFUSED)";
      break;
    case LDNS_RCODE_NOTZONE:
      why = "a record name is outside the zone (NOTZONE)";
      break;
    default:
      why = std::string("the server answered ") + rcode_name(result.rcode) + " (rcode " +
            std::to_string(result.rcode) + ")";
    }
  }
  return "the DNS server " + server + " refused the update for " +
         util::escape_untrusted(zone, 300) + ": " + why;
}

} // namespace certsmith::dns::wire

namespace certsmith::dns {

bool is_tsig_secret(std::string_view secret) {
  // What ldns's b64_pton decodes into the buffer ldns gives it: groups of four
  // characters, '=' only as the padding of the last group, and no bits left
  // over past the last byte. Whitespace, which ldns would skip, is refused:
  // certbot's credentials never contain any.
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (secret.empty() || secret.size() % 4 != 0) {
    return false;
  }
  std::size_t padding = 0;
  while (padding < 2 && secret[secret.size() - 1 - padding] == '=') {
    ++padding;
  }
  const std::string_view data = secret.substr(0, secret.size() - padding);
  if (data.find_first_not_of(alphabet) != std::string_view::npos) {
    return false;
  }
  if (padding == 0) {
    return true;
  }
  // The last character before the padding carries 4 (one '=') or 2 (two)
  // bits that must be zero.
  const auto last = alphabet.find(data.back());
  return (last & (padding == 2 ? 0x0f : 0x03)) == 0;
}

} // namespace certsmith::dns
