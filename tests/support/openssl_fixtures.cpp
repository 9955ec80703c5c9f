#include "support/openssl_fixtures.hpp"

#include "crypto/base64url.hpp"

#include <arpa/inet.h>
#include <memory>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdexcept>

namespace certsmith::crypto::test {

namespace {

template <auto Free> struct Deleter {
  template <typename T> void operator()(T* object) const { Free(object); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using Akid = std::unique_ptr<AUTHORITY_KEYID, Deleter<AUTHORITY_KEYID_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

void check(bool ok, const char* what) {
  if (!ok) {
    ERR_print_errors_fp(stderr);
    throw std::runtime_error(std::string("test fixture: ") + what);
  }
}

std::string read_bio(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(size)};
}

Names general_names(const std::vector<std::string>& dns_names,
                    const std::vector<std::string>& ip_addresses) {
  Names names(GENERAL_NAMES_new());
  for (const auto& dns_name : dns_names) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    ASN1_STRING_set(value, dns_name.data(), static_cast<int>(dns_name.size()));
    GENERAL_NAME_set0_value(name, GEN_DNS, value);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  for (const auto& address : ip_addresses) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(address.c_str());
    check(value != nullptr, "bad IP address");
    GENERAL_NAME_set0_value(name, GEN_IPADD, value);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  return names;
}

void read_names(const GENERAL_NAMES* names, std::vector<std::string>& dns,
                std::vector<std::string>& ips) {
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                       static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
    } else if (name->type == GEN_IPADD) {
      const int length = ASN1_STRING_length(name->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(name->d.iPAddress), text,
                sizeof(text));
      ips.emplace_back(text);
    }
  }
}

std::string raw_to_der_signature(const std::string& raw) {
  const std::size_t width = raw.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSig signature(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(width), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + width, static_cast<int>(width), nullptr);
  check(ECDSA_SIG_set0(signature.get(), r, s) == 1, "ECDSA_SIG_set0");
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  check(length > 0, "i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

} // namespace

std::string make_certificate_pem(const CertificateSpec& spec, const PrivateKey& subject_key,
                                 const PrivateKey& issuer_key) {
  Cert cert(X509_new());
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "version");

  BIGNUM* serial_raw = nullptr;
  check(BN_hex2bn(&serial_raw, spec.serial_hex.c_str()) > 0, "serial hex");
  Bignum serial(serial_raw);
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr, "serial");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      subject, "CN", MBSTRING_UTF8,
      reinterpret_cast<const unsigned char*>(spec.subject_common_name.c_str()), -1, -1, 0);
  X509_NAME* issuer = X509_get_issuer_name(cert.get());
  X509_NAME_add_entry_by_txt(
      issuer, "O", MBSTRING_UTF8,
      reinterpret_cast<const unsigned char*>(spec.issuer_organization.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      issuer, "CN", MBSTRING_UTF8,
      reinterpret_cast<const unsigned char*>(spec.issuer_common_name.c_str()), -1, -1, 0);

  const auto to_time_t = [](std::chrono::system_clock::time_point t) {
    return std::chrono::system_clock::to_time_t(t);
  };
  check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), to_time_t(spec.not_before)) != nullptr,
        "notBefore");
  check(ASN1_TIME_set(X509_getm_notAfter(cert.get()), to_time_t(spec.not_after)) != nullptr,
        "notAfter");
  check(X509_set_pubkey(cert.get(), subject_key.get()) == 1, "pubkey");

  if (!spec.dns_names.empty() || !spec.ip_addresses.empty()) {
    Names names = general_names(spec.dns_names, spec.ip_addresses);
    check(X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) ==
              1,
          "SAN");
  }
  if (!spec.authority_key_id.empty()) {
    Akid akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(akid->keyid,
                          reinterpret_cast<const unsigned char*>(spec.authority_key_id.data()),
                          static_cast<int>(spec.authority_key_id.size()));
    check(X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, akid.get(), 0,
                            X509V3_ADD_DEFAULT) == 1,
          "AKI");
  }
  check(X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) > 0, "sign");

  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert.get()) == 1, "PEM");
  return read_bio(bio.get());
}

std::string foreign_key_pem(const std::string& type, const std::string& curve, unsigned bits) {
  Pkey key;
  if (type == "EC") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str()));
  } else if (type == "RSA") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, type.c_str()));
  }
  check(key != nullptr, "keygen");
  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM");
  return read_bio(bio.get());
}

std::string traditional_pem(const PrivateKey& key) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                             nullptr) == 1,
        "traditional PEM");
  return read_bio(bio.get());
}

std::string encrypted_pem(const PrivateKey& key, const std::string& password) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), password.data(),
                                      static_cast<int>(password.size()), nullptr, nullptr) == 1,
        "encrypted PEM");
  return read_bio(bio.get());
}

bool verify_jws(const nlohmann::json& jws, const PrivateKey& key) {
  const std::string input =
      jws.at("protected").get<std::string>() + "." + jws.at("payload").get<std::string>();
  const auto signature = base64url_decode(jws.at("signature").get<std::string>());
  if (!signature) {
    return false;
  }
  const nlohmann::json header =
      nlohmann::json::parse(*base64url_decode(jws.at("protected").get<std::string>()));
  const std::string alg = header.at("alg");
  std::string der = *signature;
  const EVP_MD* digest = EVP_sha256();
  if (alg == "ES256" || alg == "ES384") {
    const std::size_t expected = alg == "ES256" ? 64 : 96;
    if (signature->size() != expected) {
      return false;
    }
    der = raw_to_der_signature(*signature);
    digest = alg == "ES256" ? EVP_sha256() : EVP_sha384();
  }
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  check(EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, digest, nullptr, key.get()) == 1, "verify init");
  if (alg == "RS256") {
    check(EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) == 1, "PKCS#1 v1.5 padding");
  }
  const int result =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size());
  ERR_clear_error();
  return result == 1;
}

std::string reference_hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
             &length) != nullptr,
        "HMAC");
  return {reinterpret_cast<const char*>(out), length};
}

CsrFacts read_csr_der(const std::string& der, const PrivateKey& key) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  Req request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
  check(request != nullptr, "d2i_X509_REQ");
  check(cursor == reinterpret_cast<const unsigned char*>(der.data()) + der.size(),
        "trailing bytes after CSR");

  CsrFacts facts;
  facts.version = X509_REQ_get_version(request.get());
  const X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    facts.common_name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                             static_cast<std::size_t>(ASN1_STRING_length(value)));
  }

  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request.get());
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(extension));
    if (nid == NID_subject_alt_name) {
      Names names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
      check(names != nullptr, "SAN decode");
      read_names(names.get(), facts.dns_names, facts.ip_addresses);
    } else if (nid == NID_tlsfeature) {
      char oid[64] = {};
      OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(extension), 1);
      check(std::string(oid) == "1.3.6.1.5.5.7.1.24", "TLS Feature OID");
      facts.has_must_staple = true;
      const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
      facts.must_staple_value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                     static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);

  EVP_PKEY* public_key = X509_REQ_get0_pubkey(request.get());
  facts.signature_valid = X509_REQ_verify(request.get(), public_key) == 1;
  facts.public_key_matches = EVP_PKEY_eq(public_key, key.get()) == 1;
  const int signature_nid = X509_REQ_get_signature_nid(request.get());
  int digest_nid = NID_undef;
  OBJ_find_sigid_algs(signature_nid, &digest_nid, nullptr);
  facts.signature_digest = OBJ_nid2sn(digest_nid);
  ERR_clear_error();
  return facts;
}

CsrFacts read_csr_pem(const std::string& pem, const PrivateKey& key) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Req request(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  check(request != nullptr, "PEM_read_bio_X509_REQ");
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(request.get(), &der);
  check(length > 0, "i2d_X509_REQ");
  const std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return read_csr_der(bytes, key);
}

int ec_public_x_bytes(const PrivateKey& key) {
  BIGNUM* x = nullptr;
  check(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1, "EC x");
  Bignum owned(x);
  return BN_num_bytes(owned.get());
}

} // namespace certsmith::crypto::test
