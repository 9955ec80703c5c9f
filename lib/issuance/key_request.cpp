#include "issuance/key_request.hpp"

#include "issuance/issue_lineage.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

bool KeyRequest::key_settings_given() const {
  return key_type_given || rsa_key_size_given || elliptic_curve_given;
}

std::optional<bool> KeyRequest::reuse_key_setting() const {
  if (reuse_key || new_key)
    return reuse_key;
  return std::nullopt;
}

KeyRequest key_request_of(const std::string& key_type, int rsa_key_size,
                          const std::string& elliptic_curve, bool key_type_given,
                          bool rsa_key_size_given, bool elliptic_curve_given, bool reuse_key,
                          bool new_key) {
  if (key_type != "rsa" && key_type != "ecdsa")
    throw UsageError(fmt::format("unsupported key type '{}': use rsa or ecdsa", key_type));
  KeyRequest request;
  request.spec = {key_type == "rsa" ? crypto::KeyAlgorithm::rsa : crypto::KeyAlgorithm::ecdsa,
                  elliptic_curve, rsa_key_size};
  request.key_type_given = key_type_given;
  request.rsa_key_size_given = rsa_key_size_given;
  request.elliptic_curve_given = elliptic_curve_given;
  request.reuse_key = reuse_key;
  request.new_key = new_key;
  return request;
}

crypto::KeySpec key_spec_for(const KeyRequest& request,
                             const std::optional<store::RenewalParams>& previous) {
  if (!previous)
    return request.spec;
  crypto::KeySpec key = key_spec_of(*previous);
  if (request.key_type_given && key.algorithm != request.spec.algorithm)
    return request.spec;
  if (request.rsa_key_size_given)
    key.rsa_bits = request.spec.rsa_bits;
  if (request.elliptic_curve_given)
    key.curve = request.spec.curve;
  return key;
}

void record_key_spec(store::RenewalParams& params, const crypto::KeySpec& spec) {
  if (spec.algorithm == crypto::KeyAlgorithm::rsa) {
    params.key_type = "rsa";
    params.rsa_key_size = spec.rsa_bits;
    params.elliptic_curve.clear();
  } else {
    params.key_type = "ecdsa";
    params.elliptic_curve = spec.curve;
    params.rsa_key_size.reset();
  }
}

bool same_key_kind(const crypto::KeySpec& left, const crypto::KeySpec& right) {
  if (left.algorithm != right.algorithm)
    return false;
  return left.algorithm == crypto::KeyAlgorithm::rsa ? left.rsa_bits == right.rsa_bits
                                                     : left.curve == right.curve;
}

void check_reuse_key_conflict(bool reuses, bool new_key, const crypto::KeySpec& current,
                              const crypto::KeySpec& wanted) {
  if (!reuses || new_key || same_key_kind(current, wanted))
    return;
  const char* flag = current.algorithm != wanted.algorithm           ? "--key-type"
                     : wanted.algorithm == crypto::KeyAlgorithm::rsa ? "--rsa-key-size"
                                                                     : "--elliptic-curve";
  throw UsageError(fmt::format(
      "Unable to change the {} of this certificate because --reuse-key is set. To stop reusing "
      "the private key, specify --new-key. To change the private key this one time and then "
      "reuse it in future, add --new-key to --reuse-key.",
      flag));
}

} // namespace certsmith::issuance
