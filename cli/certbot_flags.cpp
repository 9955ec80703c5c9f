#include "certbot_flags.hpp"

#include "acme/identifier.hpp"
#include "commands.hpp"
#include "compat/certbot_flags.hpp"
#include "issuance/webroot_map_json.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>

namespace certsmith::cli {

namespace {

using compat::CertbotFlag;
using compat::CertbotFlagKind;
using compat::CertbotFlagStatus;

void merge_webroot_map(Options& options) {
  auto entries = issuance::parse_webroot_map_json(options.webroot_map);
  options.domain_and_webroot_order =
      issuance::merge_webroot_map(options.domain_and_webroot_order, entries);
  // certbot: the map implies -d for each of its names.
  for (const auto& [domain, root] : entries) {
    bool listed =
        std::any_of(options.domains.begin(), options.domains.end(), [&](const std::string& given) {
          return acme::normalize_domain(given) == domain;
        });
    if (!listed)
      options.domains.push_back(domain);
  }
}

std::string spelled(const CertbotFlag& row) {
  std::string text;
  for (auto name : compat::names_of(row))
    text += (text.empty() ? "" : ", ") + std::string(name);
  if (row.kind == CertbotFlagKind::option)
    text += " VALUE";
  return text;
}

} // namespace

void add_certbot_flags(CLI::App& app) {
  for (const auto& row : compat::certbot_flags()) {
    if (row.status == CertbotFlagStatus::supported)
      continue; // cli/options.cpp and the subcommand table register those
    std::string names(row.names);
    std::string description(row.note);
    switch (row.kind) {
    case CertbotFlagKind::subcommand:
      app.add_subcommand(names, description)->fallthrough()->group("");
      break;
    case CertbotFlagKind::flag:
      app.add_flag(names)->description(description)->group("");
      break;
    case CertbotFlagKind::option:
      app.add_option(names) // no variable: CLI11 would take a string argument for one
          ->description(description)
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->group("");
      break;
    }
  }
}

void apply_certbot_flags(const CLI::App& app, Options& options) {
  compat::CertbotUsage usage;
  for (const CLI::App* subcommand : app.get_subcommands())
    usage.subcommand = subcommand->get_name();
  for (const auto& row : compat::certbot_flags()) {
    if (row.status == CertbotFlagStatus::supported || row.kind == CertbotFlagKind::subcommand)
      continue;
    for (auto name : compat::names_of(row)) {
      const CLI::Option* option = app.get_option_no_throw(std::string(name));
      if (option && option->count() > 0)
        usage.given.emplace_back(name);
    }
  }
  usage.authenticator = options.authenticator;
  for (const auto& warning : compat::check_certbot_usage(usage))
    if (!options.quiet)
      std::fprintf(stderr, "certsmith: warning: %s\n", warning.c_str());
  // Sent as an HTTP header: a line break would start another header.
  auto has_control = [](const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  };
  if (has_control(options.user_agent.value_or("")) || has_control(options.user_agent_comment))
    throw UsageError("--user-agent and --user-agent-comment cannot hold control characters");
  if (!options.webroot_map.empty())
    merge_webroot_map(options);
}

int run_certbot_flags(const Options&) {
  auto print_group = [](CertbotFlagStatus status, const char* title) {
    std::printf("%s\n", title);
    for (const auto& row : compat::certbot_flags())
      if (row.status == status)
        std::printf("  %-40s  %.*s%s\n", spelled(row).c_str(), static_cast<int>(row.note.size()),
                    row.note.data(), row.silent ? " (no warning)" : "");
    std::printf("\n");
  };
  print_group(CertbotFlagStatus::supported, "Supported: certsmith does what certbot does");
  print_group(CertbotFlagStatus::ignored, "Ignored: accepted, with a warning saying why");
  print_group(CertbotFlagStatus::refused, "Refused: an error says what to do instead");
  return 0;
}

} // namespace certsmith::cli
