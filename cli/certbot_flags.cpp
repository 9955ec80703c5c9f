#include "certbot_flags.hpp"

#include "commands.hpp"
#include "compat/certbot_flags.hpp"
#include "compat/user_agent.hpp"
#include "issuance/webroot_map_json.hpp"
#include "util/log.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace certsmith::cli {

namespace {

using compat::CertbotFlag;
using compat::CertbotFlagKind;
using compat::CertbotFlagStatus;

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

void apply_certbot_flags(const CLI::App& app, Options& options,
                         const std::map<std::string, std::string>& origins) {
  auto origin_of = [&origins](const CLI::Option& option) -> const std::string* {
    if (option.get_lnames().empty())
      return nullptr;
    auto found = origins.find("--" + option.get_lnames().front()); // the flag's id
    return found == origins.end() ? nullptr : &found->second;
  };
  compat::CertbotUsage usage;
  for (const CLI::App* subcommand : app.get_subcommands())
    usage.subcommand = subcommand->get_name();
  for (const auto& row : compat::certbot_flags()) {
    if (row.status == CertbotFlagStatus::supported || row.kind == CertbotFlagKind::subcommand)
      continue;
    for (auto name : compat::names_of(row)) {
      const CLI::Option* option = app.get_option_no_throw(std::string(name));
      if (!option || option->count() == 0)
        continue;
      usage.given.emplace_back(name);
      if (const std::string* origin = origin_of(*option))
        usage.origins.emplace(name, *origin);
    }
  }
  usage.authenticator = options.authenticator;
  if (const CLI::Option* option = app.get_option_no_throw("--authenticator"))
    if (const std::string* origin = origin_of(*option))
      usage.origins.emplace("--authenticator", *origin);
  for (const auto& warning : compat::check_certbot_usage(usage))
    util::log_warning("{}", warning);
  compat::check_user_agent(options.user_agent, options.user_agent_comment);
  if (!options.webroot_map.empty())
    issuance::apply_webroot_map_json(options.webroot_map, options.domain_and_webroot_order,
                                     options.domains);
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
