#include "issuance/must_staple.hpp"

#include <algorithm>
#include <cctype>

namespace certsmith::issuance {

namespace {

std::string lower_host_of(std::string_view url) {
  auto start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  auto end = url.find_first_of(":/?#", start);
  std::string host(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

} // namespace

bool is_lets_encrypt(std::string_view server) {
  std::string host = lower_host_of(server);
  return host == "api.letsencrypt.org" || host.ends_with(".api.letsencrypt.org");
}

std::string must_staple_warning(std::string_view server) {
  if (is_lets_encrypt(server))
    return "--must-staple: Let's Encrypt stopped OCSP in 2025 and refuses Must-Staple "
           "certificates, so this request will be refused (ask without --must-staple)";
  return "--must-staple: clients will reject this certificate unless the server staples a fresh "
         "OCSP response; Let's Encrypt stopped OCSP in 2025, so make sure this CA still runs it";
}

} // namespace certsmith::issuance
