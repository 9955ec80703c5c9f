#pragma once
// What is sent for an Event: an RFC 5322 mail and the webhook's JSON document
// (schema_version 1, docs/notifications.md). Untrusted text (a CA's error
// message) only ever reaches a mail body or a JSON string, escaped.

#include "notify/event.hpp"

#include <string>
#include <vector>

namespace certsmith::notify {

struct Email {
  std::string from;            // envelope and header, already validated
  std::vector<std::string> to; // envelope and header, already validated
  std::string message;         // headers, blank line, body; CRLF line ends
};

/// The mail for `event`. `from` and `to` must have passed notify::validate.
Email build_email(const Event& event, const std::string& from, const std::vector<std::string>& to);

/// The webhook body, compact JSON.
std::string webhook_json(const Event& event);

/// The mail's subject line: printable ASCII only, at most 200 bytes.
std::string subject_line(const Event& event);

} // namespace certsmith::notify
