#include "issuance/certonly_metrics.hpp"

#include "issuance/fallback.hpp"
#include "issuance/metrics_format.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "store/lineage_name.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/unix_time.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <vector>

namespace certsmith::issuance {

namespace {

constexpr std::size_t k_max_metrics_bytes = 16 * 1024 * 1024;

/// Where the space after the labels is: rest is `{name="value",...} ...` as
/// the exposition format spells labels (escapes \\, \" and \n in values), or
/// ` ...` without labels; std::nullopt when the labels are malformed.
std::optional<std::size_t> labels_end(std::string_view rest) {
  if (rest.starts_with(' '))
    return 0;
  std::size_t i = 1; // past '{'
  while (i < rest.size() && rest[i] != '}') {
    std::size_t name_start = i;
    while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '_'))
      ++i;
    if (i == name_start || rest.substr(i, 2) != "=\"")
      return std::nullopt;
    for (i += 2; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' &&
          (++i >= rest.size() || std::string_view("\\\"n").find(rest[i]) == std::string_view::npos))
        return std::nullopt;
    }
    if (i >= rest.size())
      return std::nullopt;
    ++i; // past the closing quote
    if (i < rest.size() && rest[i] == ',')
      ++i;
  }
  if (i + 1 >= rest.size() || rest[i] != '}' || rest[i + 1] != ' ')
    return std::nullopt;
  return i + 1;
}

/// The family a sample line belongs to, when it is one of ours and well
/// formed enough to copy: printable, labels well formed, ending in " <number>".
std::optional<std::string_view> family_of(std::string_view line) {
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return std::nullopt;
  }
  auto space = line.rfind(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  std::string_view value = line.substr(space + 1);
  double number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size())
    return std::nullopt;
  for (const auto& family : k_metric_families) {
    std::string_view rest = line.substr(std::min(line.size(), family.name.size()));
    if (!line.starts_with(family.name) || !(rest.starts_with('{') || rest.starts_with(' ')))
      continue;
    // The value is the one token after the labels.
    auto end = labels_end(rest);
    return end && family.name.size() + *end == space ? std::optional(family.name) : std::nullopt;
  }
  return std::nullopt;
}

} // namespace

std::string merge_lineage_metrics(std::string_view existing, const LineageFigures& figures) {
  std::string label = metrics_label_value(figures.name);
  std::map<std::string_view, std::vector<std::string>> fresh;
  auto add = [&](std::string_view family, const std::string& labels, long long value) {
    fresh[family].push_back(fmt::format("{}{{lineage=\"{}\"{}}} {}", family, label, labels, value));
  };
  if (figures.not_after)
    add("certsmith_certificate_expiry_timestamp_seconds", "",
        util::unix_seconds(*figures.not_after));
  if (figures.attempt) {
    add("certsmith_renewal_last_attempt_timestamp_seconds", "",
        util::unix_seconds(figures.attempt->when));
    add("certsmith_renewal_last_attempt_success", "", figures.attempt->succeeded ? 1 : 0);
  }
  if (!figures.live_kind.empty())
    add("certsmith_certificate_placeholder",
        fmt::format(",kind=\"{}\"", metrics_label_value(figures.live_kind)),
        figures.live_kind == "real" ? 0 : 1);

  // This lineage's sample: the family name, then lineage="NAME" closed by } or ,.
  std::string own_prefix = "{lineage=\"" + label + "\"";
  std::map<std::string_view, std::vector<std::string>> kept;
  std::size_t start = 0;
  while (start < existing.size()) {
    auto end = existing.find('\n', start);
    if (end == std::string_view::npos)
      end = existing.size();
    std::string_view line = existing.substr(start, end - start);
    start = end + 1;
    auto family = family_of(line);
    if (!family)
      continue; // comments are written anew; anything else is not ours
    std::string_view rest = line.substr(family->size());
    bool own = rest.starts_with(own_prefix) && rest.size() > own_prefix.size() &&
               (rest[own_prefix.size()] == '}' || rest[own_prefix.size()] == ',');
    if (own && fresh.count(*family))
      continue;
    kept[*family].emplace_back(line);
  }

  std::string text;
  for (const auto& family : k_metric_families) {
    text += metric_family_header(family.name);
    for (const auto& line : kept[family.name])
      text += line + "\n";
    for (const auto& line : fresh[family.name])
      text += line + "\n";
  }
  return text;
}

LineageFigures certonly_figures(const CertonlyResult& result,
                                std::chrono::system_clock::time_point now) {
  bool attempted = result.outcome != CertonlyResult::Outcome::kept &&
                   result.outcome != CertonlyResult::Outcome::reused;
  return {result.lineage_name, result.not_after,
          attempted ? std::optional(RenewalAttempt{now, true}) : std::nullopt, ""};
}

LineageFigures failed_certonly_figures(const CertonlyRequest& request,
                                       std::chrono::system_clock::time_point now) {
  std::string name;
  if (request.cert_name) {
    name = *request.cert_name;
  } else {
    try {
      auto identifiers = acme::make_identifiers(request.domains, request.ip_addresses);
      if (!identifiers.empty())
        name = lineage_name_base(identifiers.front());
      if (name.starts_with("*."))
        name.erase(0, 2);
    } catch (const Error&) {
      name.clear(); // the error being reported is about these very names
    }
  }
  return {name, std::nullopt, RenewalAttempt{now, false}, ""};
}

bool write_certonly_metrics(const std::filesystem::path& metrics_file,
                            const store::TreePaths& paths, LineageFigures figures, bool dry_run) {
  if (dry_run) { // a dry run's certificate is not the one the lineage serves
    util::log_debug("dry run: the metrics file {} is not written", metrics_file.string());
    return true;
  }
  try {
    store::validate_cert_name(figures.name); // a name the attempts file can hold
  } catch (const Error&) {
    return true; // no lineage could have this name: nothing to report
  }
  try {
    try {
      auto lineage = store::Lineage::load_for_check(paths, figures.name);
      figures.live_kind = std::string(live_kind_name(live_kind_of(lineage.params())));
    } catch (const Error&) {
      // no lineage (a first issuance that failed): nothing is live
    }
    if (figures.attempt) {
      RenewalAttempts attempts = load_attempts(paths.work_dir);
      attempts[figures.name] = *figures.attempt;
      save_attempts(paths.work_dir, attempts);
    }
    std::string existing;
    std::error_code absent;
    if (std::filesystem::exists(metrics_file, absent)) {
      try {
        existing = store::read_file(metrics_file, k_max_metrics_bytes);
      } catch (const StorageError& error) {
        util::log_warning("{}; the metrics file starts afresh", error.what());
      }
    }
    store::write_file_atomic(metrics_file, merge_lineage_metrics(existing, figures), 0644);
    return true;
  } catch (const Error& error) {
    util::log_warning("the metrics file was not written: {}", error.what());
    return false;
  }
}

} // namespace certsmith::issuance
