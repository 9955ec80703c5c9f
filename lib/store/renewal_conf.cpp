#include "store/renewal_conf.hpp"

#include "util/error.hpp"

#include <charconv>
#include <fmt/format.h>

namespace certsmith::store {

namespace {

constexpr std::string_view k_params = "renewalparams";
// certbot's constants.V1_URI and CLI_DEFAULTS["server"]: Let's Encrypt's ACME v1
// endpoint is gone, and certbot's _restore_str renews such lineages with v2.
constexpr std::string_view k_letsencrypt_v1 = "https://acme-v01.api.letsencrypt.org/directory";
constexpr std::string_view k_letsencrypt_v2 = "https://acme-v02.api.letsencrypt.org/directory";
constexpr std::string_view k_webroot_map = "webroot_map";

// configobj writes Python's None as the text "None"; certbot's _restore_str and
// _restore_int (http01_port) read it back as "not set", and so does certsmith.
constexpr std::string_view k_none = "None";

bool is_none(const Section& section, std::string_view key) {
  return section.get(key) == k_none;
}

int read_int(const ConfigObj& conf, const Section& section, std::string_view key, int min,
             int max) {
  std::string text = section.get(key).value_or("");
  int number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || number < min ||
      number > max) {
    throw StorageError(fmt::format("{}: {} must be a number from {} to {}, not '{}'",
                                   conf.source_name(), key, min, max, text));
  }
  return number;
}

std::optional<int> read_optional_int(const ConfigObj& conf, const Section& section,
                                     std::string_view key, int min, int max) {
  if (!section.has(key) || is_none(section, key)) {
    return std::nullopt;
  }
  return read_int(conf, section, key, min, max);
}

bool read_bool(const ConfigObj& conf, const Section& section, std::string_view key) {
  std::string text = section.get(key).value_or("");
  std::string lower;
  for (char c : text) {
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  // Certbot accepts exactly true/false in any case (renewal._restore_bool).
  if (lower == "true") {
    return true;
  }
  if (lower == "false") {
    return false;
  }
  throw StorageError(
      fmt::format("{}: {} must be True or False, not '{}'", conf.source_name(), key, text));
}

void put(Section& section, std::string_view key, const std::string& value) {
  if (value.empty()) {
    if (!is_none(section, key)) { // "None" already says "not set": leave the line
      section.erase(key);
    }
  } else {
    section.set(key, value);
  }
}

void put(Section& section, std::string_view key, const std::optional<int>& value) {
  if (value && section.get(key) == std::to_string(*value)) {
    return;
  }
  if (value) {
    section.set(key, std::to_string(*value));
  } else if (!is_none(section, key)) {
    section.erase(key);
  }
}

// A boolean keeps its spelling ("true", "True") when its value does not change.
void put_bool(const ConfigObj& conf, Section& section, std::string_view key,
              const std::optional<bool>& value) {
  if (!value) {
    section.erase(key);
    return;
  }
  if (!section.has(key) || read_bool(conf, section, key) != *value) {
    section.set(key, *value ? "True" : "False");
  }
}

void put(Section& section, std::string_view key, const std::vector<std::string>& values) {
  // A scalar holding the one item is left as the user wrote it.
  if (section.has(key) && section.get_list(key) == values) {
    return;
  }
  if (values.empty()) {
    section.erase(key);
  } else {
    section.set_list(key, values);
  }
}

} // namespace

RenewalParams read_renewal_params(const ConfigObj& conf) {
  RenewalParams params;
  params.renew_before_expiry = conf.root().get("renew_before_expiry");
  params.key_type = "rsa";
  const Section* section = conf.root().section(k_params);
  if (section == nullptr) {
    return params;
  }
  auto text = [&](std::string_view key) {
    return is_none(*section, key) ? std::string() : section->get(key).value_or("");
  };
  params.account = text("account");
  params.authenticator = text("authenticator");
  params.installer = text("installer");
  params.server = text("server");
  if (params.server == k_letsencrypt_v1) {
    params.server = k_letsencrypt_v2; // saved so on the next write, as certbot does
  }
  if (!text("key_type").empty()) {
    params.key_type = text("key_type");
  }
  params.elliptic_curve = text("elliptic_curve");
  params.rsa_key_size = read_optional_int(conf, *section, "rsa_key_size", 1, 65536);
  params.webroot_path = section->get_list("webroot_path");
  if (const Section* map = section->section(k_webroot_map)) {
    for (const auto& domain : map->keys()) {
      params.webroot_map[domain] = map->get(domain).value_or("");
    }
  }
  params.http01_port = read_optional_int(conf, *section, "http01_port", 0, 65535);
  params.http01_address = text("http01_address");
  params.pre_hook = text("pre_hook");
  params.post_hook = text("post_hook");
  params.renew_hook = text("renew_hook");
  params.manual_auth_hook = text("manual_auth_hook");
  params.manual_cleanup_hook = text("manual_cleanup_hook");
  params.dns_rfc2136_credentials = text("dns_rfc2136_credentials");
  params.dns_rfc2136_propagation_seconds =
      read_optional_int(conf, *section, "dns_rfc2136_propagation_seconds", 0, 86400);
  params.dns_resolvers = section->get_list("dns_resolvers");
  params.tls_alpn01_port = read_optional_int(conf, *section, "tls_alpn01_port", 0, 65535);
  params.serve_token_dir = text("serve_token_dir");
  params.preferred_chain = text("preferred_chain");
  params.pref_challs = section->get_list("pref_challs");
  params.preferred_profile = text("preferred_profile");
  params.required_profile = text("required_profile");
  if (section->has("reuse_key")) {
    params.reuse_key = read_bool(conf, *section, "reuse_key");
  }
  if (section->has("must_staple")) {
    params.must_staple = read_bool(conf, *section, "must_staple");
  }
  if (section->has("autorenew")) {
    params.autorenew = read_bool(conf, *section, "autorenew");
  }
  params.certsmith_live_kind = text("certsmith_live_kind");
  params.certsmith_names = section->get_list("certsmith_names");
  if (section->has("certsmith_fallback_self_signed")) {
    params.certsmith_fallback_self_signed =
        read_bool(conf, *section, "certsmith_fallback_self_signed");
  }
  params.certsmith_fallback_cert = text("certsmith_fallback_cert");
  params.certsmith_fallback_key = text("certsmith_fallback_key");
  return params;
}

void write_renewal_params(ConfigObj& conf, const RenewalParams& params) {
  Section& root = conf.root();
  if (params.renew_before_expiry) {
    root.set("renew_before_expiry", *params.renew_before_expiry);
  } else {
    root.erase("renew_before_expiry");
    if (conf.initial_comment().empty()) {
      conf.set_initial_comment({"# renew_before_expiry = 30 days"});
    }
  }
  bool created = root.section(k_params) == nullptr;
  Section& section = root.ensure_section(k_params);
  if (created) {
    root.set_comment(k_params, {"", "# Options used in the renewal process"});
  }
  put(section, "account", params.account);
  put(section, "authenticator", params.authenticator);
  put(section, "installer", params.installer);
  put(section, "webroot_path", params.webroot_path);
  put(section, "server", params.server);
  put(section, "key_type", params.key_type);
  put(section, "elliptic_curve", params.elliptic_curve);
  put(section, "rsa_key_size", params.rsa_key_size);
  put(section, "http01_port", params.http01_port);
  put(section, "http01_address", params.http01_address);
  put(section, "pre_hook", params.pre_hook);
  put(section, "post_hook", params.post_hook);
  put(section, "renew_hook", params.renew_hook);
  put(section, "manual_auth_hook", params.manual_auth_hook);
  put(section, "manual_cleanup_hook", params.manual_cleanup_hook);
  put(section, "dns_rfc2136_credentials", params.dns_rfc2136_credentials);
  put(section, "dns_rfc2136_propagation_seconds", params.dns_rfc2136_propagation_seconds);
  put(section, "dns_resolvers", params.dns_resolvers);
  put(section, "tls_alpn01_port", params.tls_alpn01_port);
  put(section, "serve_token_dir", params.serve_token_dir);
  put(section, "preferred_chain", params.preferred_chain);
  put(section, "pref_challs", params.pref_challs);
  put(section, "preferred_profile", params.preferred_profile);
  put(section, "required_profile", params.required_profile);
  put_bool(conf, section, "reuse_key", params.reuse_key);
  put_bool(conf, section, "must_staple", params.must_staple);
  put_bool(conf, section, "autorenew", params.autorenew);
  put(section, "certsmith_live_kind", params.certsmith_live_kind);
  put(section, "certsmith_names", params.certsmith_names);
  put_bool(conf, section, "certsmith_fallback_self_signed", params.certsmith_fallback_self_signed);
  put(section, "certsmith_fallback_cert", params.certsmith_fallback_cert);
  put(section, "certsmith_fallback_key", params.certsmith_fallback_key);
  if (params.webroot_map.empty()) {
    section.erase(k_webroot_map);
  } else {
    Section& map = section.ensure_section(k_webroot_map);
    for (const auto& domain : map.keys()) {
      if (!params.webroot_map.contains(domain)) {
        map.erase(domain);
      }
    }
    for (const auto& [domain, path] : params.webroot_map) {
      map.set(domain, path);
    }
  }
}

} // namespace certsmith::store
