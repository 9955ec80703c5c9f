#include "issuance/certificates_json.hpp"

#include "issuance/fallback.hpp"
#include "util/clock.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

using nlohmann::json;

// Whole days until not_after, rounded down: 0 on the last day, -1 once expired by less than a day.
long long days_left(std::chrono::system_clock::time_point not_after,
                    std::chrono::system_clock::time_point now) {
  return std::chrono::floor<std::chrono::days>(not_after - now).count();
}

json string_or_null(const std::string& value) {
  return value.empty() ? json(nullptr) : json(value);
}

template <typename T> json optional_or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json renewal_json(const store::RenewalParams& params) {
  json webroot_map = json::object();
  for (const auto& [domain, path] : params.webroot_map)
    webroot_map[domain] = path;
  return {
      {"authenticator", string_or_null(params.authenticator)},
      {"installer", string_or_null(params.installer)},
      {"server", string_or_null(params.server)},
      {"account", string_or_null(params.account)},
      {"key_type", string_or_null(params.key_type)},
      {"elliptic_curve", string_or_null(params.elliptic_curve)},
      {"rsa_key_size", optional_or_null(params.rsa_key_size)},
      {"renew_before_expiry", optional_or_null(params.renew_before_expiry)},
      {"webroot_path", params.webroot_path},
      {"webroot_map", webroot_map},
      {"http01_port", optional_or_null(params.http01_port)},
      {"preferred_chain", string_or_null(params.preferred_chain)},
      {"preferred_profile", string_or_null(params.preferred_profile)},
      {"required_profile", string_or_null(params.required_profile)},
      {"reuse_key", optional_or_null(params.reuse_key)},
      {"must_staple", optional_or_null(params.must_staple)},
  };
}

// certbot's autorenewal_is_enabled: renewed by `renew` unless the conf says
// autorenew = False (--no-autorenew); --force-renewal renews it all the same.
bool autorenew_of(const store::RenewalParams& params) {
  return params.autorenew.value_or(true);
}

// What the lineage falls back to when renewal fails until expiry (fallback.hpp).
json fallback_json(const store::RenewalParams& params) {
  return {{"self_signed", params.certsmith_fallback_self_signed.value_or(false)},
          {"cert", string_or_null(params.certsmith_fallback_cert)},
          {"key", string_or_null(params.certsmith_fallback_key)}};
}

json entry_json(const LineageSummary& lineage, std::chrono::system_clock::time_point now) {
  const bool readable = lineage.problem.empty();
  std::string status = !readable ? "invalid" : lineage.not_after <= now ? "expired" : "valid";
  return {
      {"name", lineage.name},
      {"status", status},
      {"problem", readable ? json(nullptr) : json(lineage.problem)},
      {"fix", string_or_null(lineage.fix)},
      {"domains", lineage.dns_names},
      {"ip_addresses", lineage.ip_addresses},
      {"not_before", readable ? json(util::rfc3339_utc(lineage.not_before)) : json(nullptr)},
      {"not_after", readable ? json(util::rfc3339_utc(lineage.not_after)) : json(nullptr)},
      {"days_left", readable ? json(days_left(lineage.not_after, now)) : json(nullptr)},
      {"serial", string_or_null(lineage.serial_hex)},
      {"key_type", string_or_null(lineage.key_type)},
      {"issuer", string_or_null(lineage.issuer)},
      {"paths",
       {{"cert", string_or_null(lineage.cert_path)},
        {"chain", string_or_null(lineage.chain_path)},
        {"fullchain", string_or_null(lineage.fullchain_path)},
        {"privkey", string_or_null(lineage.privkey_path)},
        {"renewal_conf", lineage.renewal_conf_path}}},
      {"renewal", lineage.renewal ? renewal_json(*lineage.renewal) : json(nullptr)},
      {"autorenew", lineage.renewal ? json(autorenew_of(*lineage.renewal)) : json(nullptr)},
      {"live",
       lineage.renewal ? json(live_kind_name(live_kind_of(*lineage.renewal))) : json(nullptr)},
      {"fallback", lineage.renewal ? fallback_json(*lineage.renewal) : json(nullptr)},
  };
}

} // namespace

json certificates_json(const std::vector<LineageSummary>& lineages,
                       std::chrono::system_clock::time_point now) {
  json entries = json::array();
  for (const auto& lineage : lineages)
    entries.push_back(entry_json(lineage, now));
  return {{"schema_version", k_certificates_json_schema_version}, {"certificates", entries}};
}

} // namespace certsmith::issuance
