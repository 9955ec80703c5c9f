#include "preflight/auto_preflight.hpp"

#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::preflight {

namespace {

// Findings are escaped already; a stray newline must still not split a line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

} // namespace

bool is_first_issuance(const std::filesystem::path& config_dir, const std::string& lineage_name) {
  std::error_code ignored;
  return !std::filesystem::exists(config_dir / "renewal" / (lineage_name + ".conf"), ignored);
}

void run_automatic_preflight(const DoctorRequest& request, Resolver& resolver,
                             http::Transport& ca_transport, http::Transport* probe_transport,
                             util::Clock& clock) {
  std::vector<const Finding*> blockers;
  const auto findings = collect_findings(request, resolver, ca_transport, probe_transport, clock);
  for (const auto& finding : findings) {
    if (finding.subject == request.directory_url) {
      continue; // an unreadable directory: the run itself says so in its error line next
    }
    if (finding.blocker) {
      blockers.push_back(&finding);
      continue;
    }
    // A failure here is still only a warning: the CA may see what this host does not.
    const std::string line = one_line(fmt::format(
        "preflight: {}: {} {}: {}{}", finding.status == Status::pass ? "pass" : "warning",
        finding.check, finding.subject, finding.detail,
        finding.fix.empty() || finding.status == Status::pass
            ? ""
            : fmt::format(" (fix: {})", finding.fix)));
    if (finding.status == Status::pass) {
      util::log_debug("{}", line);
    } else {
      util::log_warning("{}", line);
    }
  }
  if (blockers.empty()) {
    return;
  }
  std::string reasons;
  for (const Finding* blocker : blockers) {
    reasons +=
        fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", blocker->subject, blocker->detail);
  }
  if (!blockers.front()->fix.empty()) {
    util::log_warning("{}", one_line(fmt::format("preflight: fix: {}", blockers.front()->fix)));
  }
  throw ChallengeError(one_line(fmt::format(
      "preflight: the CA would refuse this request: {} (--no-preflight skips these checks)",
      reasons)));
}

} // namespace certsmith::preflight
