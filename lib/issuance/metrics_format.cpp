#include "issuance/metrics_format.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

std::string metrics_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string metric_family_header(std::string_view name) {
  std::string_view help;
  for (const auto& family : k_metric_families) {
    if (family.name == name)
      help = family.help;
  }
  return fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

} // namespace certsmith::issuance
