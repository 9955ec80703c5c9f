#pragma once
// certbot's --preferred-chain: among the chain the CA sends by default and its
// RFC 8555 §7.4.2 alternates, the first that leads to a root of the wanted
// name. Alternates are fetched only when the default does not match.

#include "acme/client.hpp"

#include <cstddef>
#include <string>

namespace certsmith::issuance {

/// At most this many alternate chains are downloaded for one certificate.
inline constexpr std::size_t k_max_alternate_chains = 5;

/// True when the topmost certificate of chain_pem was issued by a CA whose
/// common name is exactly wanted_root (certbot 2.x: only the topmost
/// certificate counts, not an intermediate lower down). Throws CryptoError for
/// a chain that does not parse.
bool chain_leads_to(const std::string& chain_pem, const std::string& wanted_root);

/// The chain to keep: downloaded.pem when it leads to wanted_root, else the
/// first of the first k_max_alternate_chains alternates that does and carries
/// the same leaf, each link signed by the next; else downloaded.pem with a
/// warning. An alternate that cannot be fetched or is not a chain for the leaf
/// is skipped (debug line). downloaded.pem must already parse.
std::string choose_chain(acme::Client& client, const acme::CertificateChain& downloaded,
                         const std::string& wanted_root);

} // namespace certsmith::issuance
