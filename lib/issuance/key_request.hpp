#pragma once
// The key a command line asks for (--key-type, --rsa-key-size,
// --elliptic-curve, --reuse-key, --new-key) and certbot's rules for applying
// it to a lineage, shared by certonly and reconfigure so the two cannot drift.

#include "crypto/private_key.hpp"
#include "store/renewal_conf.hpp"

#include <optional>
#include <string>

namespace certsmith::issuance {

/// The key flags of one command line. cli/ copies them here as given;
/// `spec` holds their values with the defaults filled in.
struct KeyRequest {
  crypto::KeySpec spec;
  bool key_type_given = false;
  bool rsa_key_size_given = false;
  bool elliptic_curve_given = false;
  bool reuse_key = false; // --reuse-key
  bool new_key = false;   // --new-key

  /// Whether any of --key-type, --rsa-key-size, --elliptic-curve was given.
  bool key_settings_given() const;
  /// The reuse_key to record, certbot's meaning: --reuse-key (also with
  /// --new-key, which then only makes this one key fresh) records true,
  /// --new-key alone false, neither leaves the lineage's setting (nullopt).
  std::optional<bool> reuse_key_setting() const;
};

/// The KeyRequest of these flag values. Throws UsageError for a key type
/// other than "rsa" or "ecdsa".
KeyRequest key_request_of(const std::string& key_type, int rsa_key_size,
                          const std::string& elliptic_curve, bool key_type_given,
                          bool rsa_key_size_given, bool elliptic_curve_given, bool reuse_key,
                          bool new_key);

/// The key a lineage gets: request.spec for a new one (previous unset); for an
/// existing one its recorded settings with those given replacing theirs (a
/// --key-type that changes the type brings its size or curve along), as
/// certbot keeps a lineage's key type when --key-type is not given.
crypto::KeySpec key_spec_for(const KeyRequest& request,
                             const std::optional<store::RenewalParams>& previous);

/// Write `spec` into the key settings of a renewal conf (key_type and its
/// rsa_key_size or elliptic_curve; the other one removed).
void record_key_spec(store::RenewalParams& params, const crypto::KeySpec& spec);

/// Whether two specs make the same kind of key: the algorithm and, for it,
/// the RSA size or the curve (the unused field is ignored).
bool same_key_kind(const crypto::KeySpec& left, const crypto::KeySpec& right);

/// certbot's _avoid_reuse_key_conflicts: a lineage that reuses its key
/// (`reuses`) cannot also get another key type, size or curve (`wanted`
/// differing from `current`, the key it holds) unless --new-key says to make
/// one now. Throws UsageError naming the flag that conflicts.
void check_reuse_key_conflict(bool reuses, bool new_key, const crypto::KeySpec& current,
                              const crypto::KeySpec& wanted);

} // namespace certsmith::issuance
