#include "compat/certbot_flags.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <optional>

namespace certsmith::compat {

namespace {

constexpr auto flag = CertbotFlagKind::flag;
constexpr auto option = CertbotFlagKind::option;
constexpr auto subcommand = CertbotFlagKind::subcommand;
constexpr auto supported = CertbotFlagStatus::supported;
constexpr auto ignored = CertbotFlagStatus::ignored;
constexpr auto refused = CertbotFlagStatus::refused;

// certsmith never edits a web server's configuration; what certbot's
// installers do is a certificate plus a reload, which a deploy hook does.
constexpr std::string_view k_install_pointer =
    "certsmith installs nothing into a web server: obtain the certificate with certonly and "
    "reload the server from a deploy hook, e.g. certsmith certonly --webroot -w /var/www/html "
    "-d example.com --deploy-hook \"systemctl reload nginx\"";
constexpr std::string_view k_authenticate_pointer =
    "certsmith does not edit the web server's configuration to answer challenges: serve them "
    "from its document root with --webroot -w /var/www/html, or use --standalone with "
    "--pre-hook \"systemctl stop nginx\" --post-hook \"systemctl start nginx\"";
constexpr std::string_view k_dns_pointer =
    "certsmith answers dns-01 only with --dns-rfc2136 (RFC 2136 updates, which most DNS servers "
    "and many providers accept) or --manual with a --manual-auth-hook that sets the TXT record";

constexpr std::array k_table = std::to_array<CertbotFlag>({
    // Subcommands.
    {"certonly", subcommand, supported, "obtain or renew a certificate, install nothing"},
    {"renew", subcommand, supported, "renew every certificate that is due"},
    {"certificates", subcommand, supported, "list the certificates"},
    {"revoke", subcommand, supported, "revoke a certificate"},
    {"delete", subcommand, supported, "delete a certificate lineage"},
    {"reconfigure", subcommand, supported, "change a lineage's renewal settings"},
    {"register", subcommand, supported, "create an ACME account"},
    {"unregister", subcommand, supported, "deactivate the ACME account"},
    {"update_account", subcommand, supported, "change the account's contact email"},
    {"show_account", subcommand, supported, "show the account"},
    {"update_symlinks", subcommand, supported, "repair live/ from archive/"},
    {"run", subcommand, refused, k_install_pointer},
    {"install", subcommand, refused, k_install_pointer},
    {"enhance", subcommand, refused, k_install_pointer},
    {"rollback", subcommand, refused,
     "certsmith changes no server configuration, so there is nothing to roll back"},
    {"plugins", subcommand, refused,
     "certsmith's authenticators are built in: --standalone, --webroot, --manual, --dns-rfc2136"},

    // General options.
    {"-h,--help", flag, supported, "show the flags"},
    {"--version", flag, supported, "show the version"},
    {"-c,--config", option, supported, "read this cli.ini too; it wins over certbot's default ones"},
    {"-v,--verbose", flag, supported, "more output; repeat for more"},
    {"--verbose-level", option, ignored, "give -v instead"},
    {"-t,--text", flag, ignored, "certsmith always writes plain text", true},
    {"--max-log-backups", option, supported, "log files kept by the rotation"},
    {"--preconfigured-renewal", flag, ignored, "certsmith's own timer is not certbot's", true},
    {"-n,--non-interactive,--noninteractive", flag, supported, "never ask for input"},
    {"--force-interactive", flag, ignored, "certsmith asks only when standard input is a terminal"},
    {"-d,--domains,--domain", option, supported, "names for the certificate (comma list allowed)"},
    {"--ip-address", option, supported, "IP addresses for the certificate (RFC 8738)"},
    {"--eab-kid", option, supported, "external account binding key id"},
    {"--eab-hmac-key", option, supported, "external account binding HMAC key"},
    {"--eab-hmac-alg", option, supported, "external account binding algorithm"},
    {"--cert-name", option, supported, "the lineage to act on"},
    {"--dry-run", flag, supported, "obtain from staging, save nothing"},
    {"--run-deploy-hooks", flag, supported, "with --dry-run, run deploy hooks too"},
    {"--debug-challenges", flag, refused,
     "certsmith does not pause before answering challenges; use --manual with a "
     "--manual-auth-hook to look at them"},
    {"--preferred-chain", option, supported, "the chain whose topmost issuer has this name"},
    {"--preferred-challenges", option, supported, "challenge types in order of preference"},
    {"--issuance-timeout", option, supported,
     "seconds the CA may take to issue once the order is finalized (default 90)"},
    {"--user-agent", option, supported, "the User-Agent sent to the CA"},
    {"--user-agent-comment", option, supported, "a comment added to the default User-Agent"},

    // Automation.
    {"--keep-until-expiring,--keep,--reinstall", flag, supported,
     "keep a certificate that is not due"},
    {"--expand", flag, supported, "add names to the lineage holding a subset of them"},
    {"--force-renewal,--renew-by-default", flag, supported, "renew even when not due"},
    {"--renew-with-new-domains", flag, supported,
     "with --cert-name and other -d names: replace them and renew now, without asking"},
    {"--reuse-key", flag, supported, "keep the private key when renewing (saved)"},
    {"--no-reuse-key", flag, supported, "make a new key at each renewal (saves reuse_key = False)"},
    {"--new-key", flag, supported, "make a new key this time"},
    {"--allow-subset-of-names", flag, refused,
     "certsmith needs every name validated: leave out the names that no longer point here "
     "(certonly --cert-name NAME with the remaining -d names)"},
    {"--agree-tos", flag, supported, "agree to the CA's terms of service"},
    {"--account", option, supported, "the account id to use"},
    {"--duplicate", flag, supported, "make a new lineage even when one has these names"},
    {"-q,--quiet", flag, supported, "print only errors"},
    {"--no-autorenew", flag, supported, "renew skips the lineage unless forced (saved)"},

    // Security.
    {"--rsa-key-size", option, supported, "RSA key size"},
    {"--key-type", option, supported, "rsa or ecdsa"},
    {"--elliptic-curve", option, supported, "secp256r1 or secp384r1"},
    {"--must-staple", flag, supported, "ask for the OCSP Must-Staple extension"},
    {"--redirect", flag, refused, k_install_pointer},
    {"--no-redirect", flag, refused, k_install_pointer},
    {"--hsts", flag, refused, k_install_pointer},
    {"--no-hsts", flag, refused, k_install_pointer},
    {"--uir", flag, refused, k_install_pointer},
    {"--no-uir", flag, refused, k_install_pointer},
    {"--staple-ocsp", flag, refused, k_install_pointer},
    {"--no-staple-ocsp", flag, refused, k_install_pointer},
    {"--auto-hsts", flag, refused, k_install_pointer},
    {"--strict-permissions", flag, ignored,
     "certsmith checks no file ownership; it writes keys 0600 and refuses symlinks out of the "
     "tree whatever is asked"},
    {"--required-profile", option, supported, "this certificate profile or fail"},
    {"--preferred-profile", option, supported, "this certificate profile when offered"},

    // Testing.
    {"--test-cert,--staging", flag, supported, "use the Let's Encrypt staging server"},
    {"--debug", flag, ignored, "details are in the log file; add -v to see them here"},
    {"--no-verify-ssl", flag, refused,
     "certsmith always verifies the CA's certificate: trust your CA with --ca-bundle FILE or "
     "REQUESTS_CA_BUNDLE"},
    {"--http-01-port", option, supported, "port of the standalone http-01 server"},
    {"--http-01-address", option, supported, "address of the standalone http-01 server"},
    {"--https-port", option, ignored, "only certbot's nginx installer uses it"},
    {"--break-my-certs", flag, ignored,
     "certsmith does not stop a staging certificate from replacing a trusted one"},

    // Paths.
    {"--cert-path", option, supported, "certificate to revoke, or where certonly --csr writes it"},
    {"--key-path", option, supported, "revoke: the certificate's private key"},
    {"--fullchain-path", option, supported, "certonly --csr: where to write the full chain"},
    {"--chain-path", option, supported, "certonly --csr: where to write the chain"},
    {"--config-dir", option, supported, "configuration directory"},
    {"--work-dir", option, supported, "working directory"},
    {"--logs-dir", option, supported, "logs directory"},
    {"--server", option, supported, "ACME directory URL"},

    // Subcommand options.
    {"--csr", option, supported, "certonly: use this CSR"},
    {"--reason", option, supported, "revoke: the reason"},
    {"--delete-after-revoke", flag, supported, "revoke: delete the lineage too"},
    {"--no-delete-after-revoke", flag, supported, "revoke: keep the lineage"},
    {"--checkpoints", option, refused,
     "certsmith changes no server configuration, so there is nothing to roll back"},
    {"--init", flag, refused, "certsmith has no plugins to initialize"},
    {"--prepare", flag, refused, "certsmith has no plugins to prepare"},
    {"--authenticators", flag, refused,
     "certsmith's authenticators are built in: --standalone, --webroot, --manual, --dns-rfc2136"},
    {"--installers", flag, refused, k_install_pointer},

    // Hooks and renewal.
    {"--pre-hook", option, supported, "run once before obtaining certificates"},
    {"--post-hook", option, supported, "run once after obtaining certificates"},
    {"--deploy-hook,--renew-hook", option, supported, "run for each certificate obtained"},
    {"--no-random-sleep-on-renew", flag, supported, "renew at once"},
    {"--disable-hook-validation", flag, supported, "certsmith does not validate hooks anyway"},
    {"--no-directory-hooks", flag, supported, "skip renewal-hooks/{pre,deploy,post}/"},
    {"--disable-renew-updates", flag, ignored,
     "it stops installer updates, and certsmith has no installer"},
    {"--os-packages-only", flag, ignored, "certbot-auto's option; nothing to install"},
    {"--no-self-upgrade", flag, ignored, "certbot-auto's option", true},
    {"--no-bootstrap", flag, ignored, "certbot-auto's option", true},
    {"--no-permissions-check", flag, ignored, "certbot-auto's option; nothing to check"},

    // Accounts.
    {"--register-unsafely-without-email", flag, supported, "register without an email"},
    {"-m,--email", option, supported, "account email (comma list allowed)"},
    {"--eff-email", flag, ignored, "certsmith shares no email address with the EFF"},
    {"--no-eff-email", flag, supported, "share no email with the EFF (certsmith never does)"},

    // Plugins.
    {"--configurator", option, refused, k_install_pointer},
    {"-a,--authenticator", option, supported, "standalone, webroot, manual or dns-rfc2136"},
    {"-i,--installer", option, refused, k_install_pointer},
    {"--apache", flag, refused, k_install_pointer},
    {"--nginx", flag, refused, k_install_pointer},
    {"--standalone", flag, supported, "answer http-01 with a built-in web server"},
    {"--manual", flag, supported, "answer challenges with hooks"},
    {"--webroot", flag, supported, "answer http-01 from a web server's document root"},
    {"--manual-auth-hook", option, supported, "command that sets up a challenge"},
    {"--manual-cleanup-hook", option, supported, "command that removes it"},
    {"--manual-public-ip-logging-ok", flag, ignored, "certbot no longer logs the IP either"},
    {"-w,--webroot-path", option, supported, "document root for the -d after it"},
    {"--webroot-map", option, supported, "JSON object of names to document roots"},
    {"--dns-rfc2136", flag, supported, "answer dns-01 with RFC 2136 updates"},
    {"--dns-rfc2136-credentials", option, supported, "certbot-dns-rfc2136's ini file"},
    {"--dns-rfc2136-propagation-seconds", option, supported, "wait this long for DNS"},
    {"--dns-cloudflare", flag, refused, k_dns_pointer},
    {"--dns-cloudflare-credentials", option, refused, k_dns_pointer},
    {"--dns-cloudflare-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-digitalocean", flag, refused, k_dns_pointer},
    {"--dns-digitalocean-credentials", option, refused, k_dns_pointer},
    {"--dns-digitalocean-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-dnsimple", flag, refused, k_dns_pointer},
    {"--dns-dnsimple-credentials", option, refused, k_dns_pointer},
    {"--dns-dnsimple-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-dnsmadeeasy", flag, refused, k_dns_pointer},
    {"--dns-dnsmadeeasy-credentials", option, refused, k_dns_pointer},
    {"--dns-dnsmadeeasy-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-gehirn", flag, refused, k_dns_pointer},
    {"--dns-gehirn-credentials", option, refused, k_dns_pointer},
    {"--dns-gehirn-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-google", flag, refused, k_dns_pointer},
    {"--dns-google-credentials", option, refused, k_dns_pointer},
    {"--dns-google-project", option, refused, k_dns_pointer},
    {"--dns-google-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-linode", flag, refused, k_dns_pointer},
    {"--dns-linode-credentials", option, refused, k_dns_pointer},
    {"--dns-linode-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-luadns", flag, refused, k_dns_pointer},
    {"--dns-luadns-credentials", option, refused, k_dns_pointer},
    {"--dns-luadns-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-nsone", flag, refused, k_dns_pointer},
    {"--dns-nsone-credentials", option, refused, k_dns_pointer},
    {"--dns-nsone-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-ovh", flag, refused, k_dns_pointer},
    {"--dns-ovh-credentials", option, refused, k_dns_pointer},
    {"--dns-ovh-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-route53", flag, refused, k_dns_pointer},
    {"--dns-route53-propagation-seconds", option, refused, k_dns_pointer},
    {"--dns-sakuracloud", flag, refused, k_dns_pointer},
    {"--dns-sakuracloud-credentials", option, refused, k_dns_pointer},
    {"--dns-sakuracloud-propagation-seconds", option, refused, k_dns_pointer},

    // The options of certbot's nginx and apache plugins.
    {"--nginx-server-root", option, refused, k_install_pointer},
    {"--nginx-ctl", option, refused, k_install_pointer},
    {"--nginx-sleep-seconds", option, refused, k_install_pointer},
    {"--apache-enmod", option, refused, k_install_pointer},
    {"--apache-dismod", option, refused, k_install_pointer},
    {"--apache-le-vhost-ext", option, refused, k_install_pointer},
    {"--apache-server-root", option, refused, k_install_pointer},
    {"--apache-vhost-root", option, refused, k_install_pointer},
    {"--apache-logs-root", option, refused, k_install_pointer},
    {"--apache-challenge-location", option, refused, k_install_pointer},
    {"--apache-handle-modules", option, refused, k_install_pointer},
    {"--apache-handle-sites", option, refused, k_install_pointer},
    {"--apache-ctl", option, refused, k_install_pointer},
    {"--apache-bin", option, refused, k_install_pointer},
});

bool names_row(const CertbotFlag& row, std::string_view name) {
  auto names = names_of(row);
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The row's longest-lived spelling for messages: the first long name.
std::string_view display_name(const CertbotFlag& row) {
  for (auto name : names_of(row))
    if (name.starts_with("--"))
      return name;
  return names_of(row).front();
}

// certbot's -a also names the plugins certsmith lacks. origin: "FILE:LINE: KEY"
// when a cli.ini set it.
void check_authenticator(const std::string& authenticator, const std::string& subcommand,
                         const std::string& origin) {
  std::string value = util::escape_untrusted(authenticator, 80);
  std::string who = origin.empty() ? "-a " + value : origin + " = " + value;
  if (authenticator == "nginx" || authenticator == "apache")
    throw UsageError(fmt::format(
        "{}: {}", who, subcommand == "certonly" ? k_authenticate_pointer : k_install_pointer));
  if (authenticator.starts_with("dns-") && authenticator != "dns-rfc2136")
    throw UsageError(fmt::format("{}: {}", who, k_dns_pointer));
}

} // namespace

std::span<const CertbotFlag> certbot_flags() {
  return k_table;
}

std::vector<std::string_view> names_of(const CertbotFlag& row) {
  std::vector<std::string_view> names;
  std::string_view rest = row.names;
  while (true) {
    auto comma = rest.find(',');
    names.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos)
      return names;
    rest.remove_prefix(comma + 1);
  }
}

const CertbotFlag* find_certbot_flag(std::string_view name) {
  for (const auto& row : k_table)
    if (names_row(row, name))
      return &row;
  return nullptr;
}

std::vector<std::string> check_certbot_usage(const CertbotUsage& usage) {
  if (usage.subcommand.empty())
    throw UsageError(fmt::format("a subcommand is needed (certonly, renew, certificates, ...); "
                                 "certbot's default, run, obtains and installs: {}",
                                 k_install_pointer));
  if (const CertbotFlag* row = find_certbot_flag(usage.subcommand);
      row && row->kind == subcommand && row->status == refused)
    throw UsageError(fmt::format("{}: {}", usage.subcommand, row->note));

  // The name the user typed, or where a cli.ini set it.
  auto origin_of = [&usage](const CertbotFlag& row) -> std::optional<std::string> {
    for (auto name : names_of(row))
      if (auto found = usage.origins.find(std::string(name)); found != usage.origins.end())
        return found->second;
    return std::nullopt;
  };
  auto given = [&usage](const CertbotFlag& row) {
    return std::any_of(usage.given.begin(), usage.given.end(),
                       [&row](const std::string& name) { return names_row(row, name); });
  };
  std::vector<std::string> warnings;
  for (const auto& row : k_table) {
    if (row.kind == subcommand || !given(row))
      continue;
    std::optional<std::string> origin = origin_of(row);
    std::string who = origin ? *origin : std::string(display_name(row));
    if (row.status == refused) {
      bool authenticates =
          usage.subcommand == "certonly" && (row.names == "--nginx" || row.names == "--apache");
      if (origin && row.note == k_install_pointer && !authenticates) {
        warnings.push_back(fmt::format("{} is ignored: {}", who, row.note));
        continue;
      }
      throw UsageError(
          fmt::format("{}: {}", who, authenticates ? k_authenticate_pointer : row.note));
    }
    if (row.status == ignored && !row.silent)
      warnings.push_back(fmt::format("{} is ignored: {}", who, row.note));
  }
  auto authenticator_origin = usage.origins.find("--authenticator");
  check_authenticator(usage.authenticator, usage.subcommand,
                      authenticator_origin == usage.origins.end() ? ""
                                                                  : authenticator_origin->second);
  return warnings;
}

} // namespace certsmith::compat
