#include "preflight/dns_checks.hpp"

#include "acme/contact.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace certsmith::preflight {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 200);
}

std::string without_wildcard(const std::string& name) {
  return name.starts_with("*.") ? name.substr(2) : name;
}

// Tags a CA knows (RFC 8659, RFC 9495 and the CA/B Forum's): critical ones of
// any other tag forbid issuance.
bool known_tag(const std::string& tag) {
  for (const char* known :
       {"issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"}) {
    if (tag == known) {
      return true;
    }
  }
  return false;
}

// RFC 8659 §4.2: the issuer domain name is what comes before the first ';'.
std::string issuer_of(const std::string& value) {
  return lower(trimmed(std::string_view(value).substr(0, value.find(';'))));
}

} // namespace

Finding check_addresses(Resolver& resolver, const std::string& name,
                        std::vector<std::string>& addresses) {
  const std::string host = without_wildcard(name);
  Finding finding{"dns", name, Status::pass, "", "", false};
  Lookup v4 = resolver.lookup(host, dns::RecordType::a);
  Lookup v6 = resolver.lookup(host, dns::RecordType::aaaa);
  addresses = v4.values;
  addresses.insert(addresses.end(), v6.values.begin(), v6.values.end());
  if (!addresses.empty()) {
    finding.detail = fmt::format("{} resolves to {}", shown(host), fmt::join(addresses, ", "));
    return finding;
  }
  if (!v4.answered && !v6.answered) {
    finding.status = Status::warn;
    finding.detail = fmt::format("cannot resolve {}: {}", shown(host), shown(v4.error));
    finding.fix = "check the DNS resolvers (/etc/resolv.conf or --dns-resolvers)";
    return finding;
  }
  finding.status = Status::fail;
  const int rcode = v4.answered ? v4.rcode : v6.rcode;
  finding.detail = rcode == 3 ? fmt::format("{} does not exist in DNS (NXDOMAIN)", shown(host))
                   : rcode != 0
                       ? fmt::format("looking up {} failed: {}", shown(host), rcode_name(rcode))
                       : fmt::format("{} has no A or AAAA record", shown(host));
  finding.fix =
      fmt::format("add an A (and/or AAAA) record for {} pointing at this server", shown(host));
  return finding;
}

std::optional<CaaProperty> parse_caa(const std::string& data) {
  const auto first_space = data.find(' ');
  if (first_space == std::string::npos) {
    return std::nullopt;
  }
  const auto second_space = data.find(' ', first_space + 1);
  CaaProperty property;
  const std::string flags = data.substr(0, first_space);
  auto [end, error] = std::from_chars(flags.data(), flags.data() + flags.size(), property.flags);
  if (error != std::errc() || end != flags.data() + flags.size() || property.flags < 0 ||
      property.flags > 255) {
    return std::nullopt;
  }
  property.tag = lower(data.substr(first_space + 1, second_space == std::string::npos
                                                        ? std::string::npos
                                                        : second_space - first_space - 1));
  if (property.tag.empty()) {
    return std::nullopt;
  }
  property.value = second_space == std::string::npos ? "" : data.substr(second_space + 1);
  if (property.value.size() >= 2 && property.value.front() == '"' && property.value.back() == '"') {
    property.value = property.value.substr(1, property.value.size() - 2);
  }
  return property;
}

CaaDecision decide_caa(const std::vector<CaaProperty>& rrset,
                       const std::vector<std::string>& identities, bool wildcard) {
  for (const auto& property : rrset) {
    if ((property.flags & 128) != 0 && !known_tag(property.tag)) {
      return {CaaVerdict::forbidden,
              fmt::format("a critical CAA property has a tag no CA knows (\"{}\")",
                          shown(property.tag))};
    }
  }
  const bool has_issuewild = std::any_of(rrset.begin(), rrset.end(),
                                         [](const CaaProperty& p) { return p.tag == "issuewild"; });
  const std::string tag = wildcard && has_issuewild ? "issuewild" : "issue";
  std::vector<std::string> issuers;
  for (const auto& property : rrset) {
    if (property.tag == tag) {
      issuers.push_back(issuer_of(property.value));
    }
  }
  if (issuers.empty()) {
    return {CaaVerdict::permitted, fmt::format("no \"{}\" property restricts issuance", tag)};
  }
  std::vector<std::string> named;
  std::copy_if(issuers.begin(), issuers.end(), std::back_inserter(named),
               [](const std::string& issuer) { return !issuer.empty(); });
  if (named.empty()) {
    return {CaaVerdict::forbidden, fmt::format("CAA \"{} ;\" lets no CA issue", tag)};
  }
  if (identities.empty()) {
    return {CaaVerdict::cannot_check,
            fmt::format("CAA \"{}\" allows {}, and the CA's directory names no caaIdentities", tag,
                        shown(fmt::format("{}", fmt::join(named, ", "))))};
  }
  for (const auto& issuer : named) {
    for (const auto& identity : identities) {
      if (issuer == lower(identity)) {
        return {CaaVerdict::permitted, fmt::format("CAA \"{}\" allows {}", tag, shown(issuer))};
      }
    }
  }
  return {CaaVerdict::forbidden,
          fmt::format("CAA \"{}\" allows only {}, not this CA ({})", tag,
                      shown(fmt::format("{}", fmt::join(named, ", "))),
                      shown(fmt::format("{}", fmt::join(identities, ", "))))};
}

Finding check_caa(Resolver& resolver, const std::string& name,
                  const std::optional<std::vector<std::string>>& identities) {
  const bool wildcard = name.starts_with("*.");
  Finding finding{"caa", name, Status::pass, "", "", false};
  std::string current = without_wildcard(name);
  // RFC 8659 section 3: climb label by label up to the root, exclusive, so
  // the top-level domain itself is asked too.
  while (!current.empty()) {
    Lookup lookup = resolver.lookup(current, dns::RecordType::caa);
    if (!lookup.answered || (lookup.rcode != 0 && lookup.rcode != 3)) {
      finding.status = Status::warn;
      finding.detail =
          fmt::format("cannot look up CAA at {}: {}", shown(current),
                      lookup.answered ? rcode_name(lookup.rcode) : shown(lookup.error));
      finding.fix = "a CA refuses to issue when its CAA lookup fails: make the name's DNS "
                    "servers answer CAA queries";
      return finding;
    }
    std::vector<CaaProperty> rrset;
    for (const auto& data : lookup.values) {
      if (auto property = parse_caa(data)) {
        rrset.push_back(std::move(*property));
      }
    }
    if (!rrset.empty()) {
      if (!identities) {
        finding.status = Status::warn;
        finding.detail = fmt::format("{} has CAA records, and the CA's directory could not be "
                                     "read: cannot check them",
                                     shown(current));
        return finding;
      }
      CaaDecision decision = decide_caa(rrset, *identities, wildcard);
      finding.detail = fmt::format("at {}: {}", shown(current), decision.reason);
      if (decision.verdict == CaaVerdict::cannot_check) {
        finding.status = Status::warn;
        finding.detail += ": cannot check";
      } else if (decision.verdict == CaaVerdict::forbidden) {
        finding.status = Status::fail;
        finding.blocker = true;
        finding.fix = fmt::format(
            "CAA forbids this CA: add a CAA record \"0 {} \\\"{}\\\"\" at {} or issue from a "
            "CA it allows",
            wildcard ? "issuewild" : "issue",
            identities->empty() ? std::string("CA-DOMAIN") : shown(identities->front()),
            shown(current));
      }
      return finding;
    }
    const auto dot = current.find('.');
    current = dot == std::string::npos ? std::string() : current.substr(dot + 1);
  }
  finding.detail = "no CAA records: any CA may issue";
  return finding;
}

Finding check_email(Resolver& resolver, const std::string& email) {
  Finding finding{"email", email, Status::pass, "", "", false};
  std::vector<std::string> contacts;
  try {
    contacts = acme::contacts_from_email(email);
  } catch (const UsageError& error) {
    finding.status = Status::fail;
    finding.blocker = true;
    finding.detail = error.what();
    finding.fix = "give a valid address with -m, or --register-unsafely-without-email";
    return finding;
  }
  for (const auto& contact : contacts) {
    const std::string domain = contact.substr(contact.rfind('@') + 1);
    Lookup mx = resolver.lookup(domain, dns::RecordType::mx);
    if (!mx.answered) {
      finding.status = Status::warn;
      finding.detail = fmt::format("cannot look up MX of {}: {}", shown(domain), shown(mx.error));
      return finding;
    }
    if (mx.values.size() == 1 && (mx.values.front().empty() || mx.values.front() == ".")) {
      finding.status = Status::fail;
      finding.detail = fmt::format("{} publishes a null MX: it accepts no mail", shown(domain));
      finding.fix = "use an address whose domain receives mail (-m)";
      return finding;
    }
    if (!mx.values.empty()) {
      finding.detail = fmt::format("{} receives mail (MX {})", shown(domain),
                                   shown(fmt::format("{}", fmt::join(mx.values, ", "))));
      continue;
    }
    std::vector<std::string> addresses;
    Finding host = check_addresses(resolver, domain, addresses);
    if (host.status == Status::pass) {
      finding.detail = fmt::format("{} has no MX; mail goes to its address record", shown(domain));
      continue;
    }
    finding.status = host.status;
    finding.detail = mx.rcode == 3
                         ? fmt::format("the domain of {} does not exist (NXDOMAIN)", shown(email))
                         : fmt::format("{} has no MX, A or AAAA record", shown(domain));
    finding.fix = "use an address whose domain receives mail (-m): the CA may refuse it, and "
                  "expiry or account mail cannot reach you";
    return finding;
  }
  return finding;
}

} // namespace certsmith::preflight
