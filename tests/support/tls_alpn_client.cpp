#include "support/tls_alpn_client.hpp"

#include <arpa/inet.h>
#include <memory>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace certsmith::testing {

namespace {

template <auto Free> struct Deleter {
  template <typename T> void operator()(T* object) const { Free(object); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

std::string last_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "handshake failed";
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

void read_certificate(X509* certificate, TlsAlpnClientResult& result) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    ++result.subject_alt_name_entries;
    if (name->type == GEN_DNS) {
      const ASN1_STRING* value = name->d.dNSName;
      result.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                    static_cast<std::size_t>(ASN1_STRING_length(value)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* value = name->d.iPAddress;
      result.ip_addresses.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                       static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
  }
  std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>> oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  const int index = X509_get_ext_by_OBJ(certificate, oid.get(), -1);
  if (index >= 0) {
    X509_EXTENSION* extension = X509_get_ext(certificate, index);
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
    result.has_acme_identifier = true;
    result.acme_identifier_critical = X509_EXTENSION_get_critical(extension) == 1;
    result.acme_identifier_value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                        static_cast<std::size_t>(ASN1_STRING_length(value)));
  }
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  result.self_signed = key != nullptr && X509_verify(certificate, key) == 1;
  char group[64] = {};
  if (key != nullptr && EVP_PKEY_get_group_name(key, group, sizeof group, nullptr) == 1) {
    result.key_curve = group;
  }
}

TlsAlpnClientResult failed(std::string error) {
  TlsAlpnClientResult result;
  result.error = std::move(error);
  return result;
}

} // namespace

TlsAlpnClientResult tls_alpn_handshake(int socket, const TlsAlpnClientOptions& options) {
  TlsAlpnClientResult result;
  const timeval limit{static_cast<time_t>(options.timeout.count() / 1000),
                      static_cast<suseconds_t>((options.timeout.count() % 1000) * 1000)};
  setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  SslPtr ssl(context ? SSL_new(context.get()) : nullptr);
  if (!ssl) {
    result.error = last_error();
    return result;
  }
  SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr); // self-signed by design
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  if (!options.server_name.empty()) {
    SSL_set_tlsext_host_name(ssl.get(), options.server_name.c_str());
  }
  SSL_set_fd(ssl.get(), socket);
  if (SSL_connect(ssl.get()) != 1) {
    result.error = last_error();
    return result;
  }
  result.completed = true;
  const unsigned char* protocol = nullptr;
  unsigned int protocol_length = 0;
  SSL_get0_alpn_selected(ssl.get(), &protocol, &protocol_length);
  result.negotiated_protocol.assign(reinterpret_cast<const char*>(protocol), protocol_length);
  X509Ptr certificate(SSL_get1_peer_certificate(ssl.get()));
  if (certificate) {
    read_certificate(certificate.get(), result);
  }
  return result;
}

TlsAlpnClientResult tls_alpn_connect(const std::string& address, std::uint16_t port,
                                     const TlsAlpnClientOptions& options) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* ipv4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.c_str(), &ipv4->sin_addr) == 1) {
    ipv4->sin_family = AF_INET;
    ipv4->sin_port = htons(port);
    length = sizeof *ipv4;
  } else if (inet_pton(AF_INET6, address.c_str(), &ipv6->sin6_addr) == 1) {
    ipv6->sin6_family = AF_INET6;
    ipv6->sin6_port = htons(port);
    length = sizeof *ipv6;
  } else {
    return failed("bad address");
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return failed("cannot connect");
  }
  TlsAlpnClientResult result = tls_alpn_handshake(fd, options);
  close(fd);
  return result;
}

} // namespace certsmith::testing
