#pragma once
// What one preflight check found: a verdict, what was seen, and what to do
// about it. `certsmith doctor` prints these; the automatic preflight before a
// first issuance stops only on blockers.

#include <string>
#include <vector>

namespace certsmith::preflight {

enum class Status {
  pass,
  warn, // could not be checked, or likely trouble the CA may not share
  fail,
};

struct Finding {
  std::string check;   // "dns", "caa", "email", "http-01"
  std::string subject; // the name, address or email checked
  Status status = Status::pass;
  std::string detail;   // one line: what was seen
  std::string fix;      // one line: what to do; "" when nothing
  bool blocker = false; // the CA would refuse as well (CAA forbids it)
};

/// "PASS", "WARN", "FAIL".
const char* status_word(Status status);

/// True when no finding failed (warnings pass).
bool all_passed(const std::vector<Finding>& findings);

} // namespace certsmith::preflight
