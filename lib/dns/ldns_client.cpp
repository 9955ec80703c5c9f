// The DnsClient over ldns: one exchange with one server per call. Queries go
// over UDP (sent a second time when the first gets no answer: UDP loses
// packets) and are repeated over TCP when the answer is truncated; updates go
// over TCP only (as certbot-dns-rfc2136 sends them), TSIG-signed, and the
// answer's signature is checked before the update counts as done.
//
// Timeouts: ldns applies a timeout to each recv, not to the whole TCP
// exchange, so a server trickling bytes can hold a TCP exchange longer.

#include "dns/dns_client.hpp"
#include "dns/ldns_include.hpp"
#include "dns/ldns_wire.hpp"
#include "dns/resolv_conf.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <random>

namespace certsmith::dns {
namespace {

enum class Transport { udp, tcp };

struct BufferDeleter {
  void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};

std::uint16_t random_id() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  return static_cast<std::uint16_t>(std::uniform_int_distribution<unsigned>(0, 0xffff)(generator));
}

sockaddr_storage socket_address(const NameServer& server, socklen_t& length) {
  sockaddr_storage address{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, server.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(server.port);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, server.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(server.port);
    length = sizeof(sockaddr_in6);
  } else {
    throw UsageError("'" + server.address + "' is not an IP address of a DNS server");
  }
  return address;
}

// An update may wait on the server's journal and zone transfer work: it gets
// more time than a query.
constexpr std::chrono::milliseconds k_update_timeout{30'000};

class LdnsClient final : public DnsClient {
public:
  explicit LdnsClient(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  Answer query(const NameServer& server, const std::string& name, RecordType type,
               bool recursion_desired) override {
    std::uint16_t id = random_id();
    wire::Bytes request = wire::query_packet(name, type, recursion_desired, id);
    wire::Bytes reply;
    try {
      reply = exchange(server, request, Transport::udp, timeout_);
    } catch (const NetworkError&) {
      reply = exchange(server, request, Transport::udp, timeout_); // once more
    }
    if (wire::truncated(reply)) {
      reply = exchange(server, request, Transport::tcp, timeout_);
    }
    return wire::parse_answer(reply, id, name, type, describe(server));
  }

  void update(const NameServer& server, const std::string& zone,
              const std::vector<UpdateChange>& changes, const TsigKey& key) override {
    if (changes.empty()) {
      return;
    }
    std::uint16_t id = random_id();
    wire::Packet update = wire::update_packet(zone, changes, id);
    wire::SignedUpdate signed_update = wire::sign_update(*update, key);
    wire::Bytes reply = exchange(server, signed_update.wire, Transport::tcp, k_update_timeout);
    wire::UpdateResult result =
        wire::parse_update_answer(reply, id, key, signed_update.request_mac, describe(server));
    if (result.rcode != 0 || result.tsig_error != 0 || !result.tsig_verified) {
      throw ChallengeError(wire::update_failure(result, describe(server), zone));
    }
  }

private:
  static wire::Bytes exchange(const NameServer& server, const wire::Bytes& request,
                              Transport transport, std::chrono::milliseconds limit) {
    socklen_t length = 0;
    sockaddr_storage address = socket_address(server, length);
    std::unique_ptr<ldns_buffer, BufferDeleter> buffer(ldns_buffer_new(request.size()));
    if (!buffer) {
      throw std::bad_alloc();
    }
    ldns_buffer_write(buffer.get(), request.data(), request.size()); // ldns sends up to position
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(limit.count() / 1000);
    timeout.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
    std::uint8_t* reply = nullptr;
    std::size_t size = 0;
    ldns_status status =
        transport == Transport::udp
            ? ldns_udp_send(&reply, buffer.get(), &address, length, timeout, &size)
            : ldns_tcp_send(&reply, buffer.get(), &address, length, timeout, &size);
    std::unique_ptr<std::uint8_t, void (*)(void*)> owned(reply, std::free);
    if (status != LDNS_STATUS_OK || reply == nullptr || size == 0) {
      throw NetworkError("the DNS server " + describe(server) + " did not answer over " +
                         (transport == Transport::udp ? "UDP" : "TCP") + " within " +
                         std::to_string(limit.count()) + " ms (" + ldns_get_errorstr_by_id(status) +
                         ")");
    }
    return wire::Bytes(reply, reply + size);
  }

  std::chrono::milliseconds timeout_;
};

} // namespace

std::unique_ptr<DnsClient> make_ldns_client(std::chrono::milliseconds timeout) {
  return std::make_unique<LdnsClient>(timeout);
}

} // namespace certsmith::dns
