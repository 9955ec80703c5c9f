#include "input_checks.hpp"

#include "acme/contact.hpp"
#include "acme/identifier.hpp"
#include "store/lineage_name.hpp"

namespace certsmith::cli {

void check_input(const Options& options) {
  for (const auto& domain : options.domains)
    acme::normalize_domain(domain);
  for (const auto& address : options.ip_addresses)
    acme::normalize_ip_address(address);
  acme::contacts_from_email(options.email);
  if (options.cert_name)
    store::validate_cert_name(*options.cert_name);
}

} // namespace certsmith::cli
