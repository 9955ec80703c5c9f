#include "preflight/finding.hpp"

#include <algorithm>

namespace certsmith::preflight {

const char* status_word(Status status) {
  switch (status) {
  case Status::pass:
    return "PASS";
  case Status::warn:
    return "WARN";
  case Status::fail:
    return "FAIL";
  }
  return "FAIL";
}

bool all_passed(const std::vector<Finding>& findings) {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& finding) { return finding.status == Status::fail; });
}

} // namespace certsmith::preflight
