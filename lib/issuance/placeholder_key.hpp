#pragma once
// reuse_key across a fallback placeholder: while a self-signed or user
// fallback certificate is live, the live key is the placeholder's (a fresh
// self-signed key, or a purchased wildcard's key shared with other servers).
// Renewing away from it must not make that key this lineage's key at the CA,
// nor lose the key the user pinned (DANE/TLSA): the key to reuse is the one of
// the newest archived certificate the CA issued.

#include "crypto/private_key.hpp"
#include "store/lineage.hpp"

#include <optional>

namespace certsmith::issuance {

/// The private key of the newest archive version that is neither self-signed
/// nor holding the live placeholder's key; nullopt when there is none or its
/// files cannot be read (the caller then makes a new key).
std::optional<crypto::PrivateKey> key_before_placeholder(const store::Lineage& lineage);

} // namespace certsmith::issuance
