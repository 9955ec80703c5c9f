#include "notify/message.hpp"

#include "util/clock.hpp"
#include "util/escape.hpp"

#include <cctype>
#include <cstdint>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <random>

namespace certsmith::notify {

namespace {

// A header value is one line of printable ASCII: a CR or LF in a lineage or
// host name would otherwise start a header of the sender's choosing.
std::string header_safe(std::string_view text, std::size_t max_length) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max_length)
      break;
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty())
      out += separator;
    out += item;
  }
  return out;
}

// RFC 5322 date, e.g. "Mon, 23 Nov 2026 15:30:00 +0000".
std::string mail_date(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return buffer;
}

// "<32 hex digits@host>": unique per mail (RFC 5322 3.6.4). Mail systems
// such as Gmail refuse mail without one. Uniqueness, not secrecy, is needed:
// std::random_device reads the kernel's generator on Linux.
std::string message_id(const std::string& host) {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i)
    id += fmt::format("{:08x}", static_cast<std::uint32_t>(random()));
  std::string domain;
  for (unsigned char c : host) {
    if (std::isalnum(c) || c == '-' || c == '.')
      domain += static_cast<char>(c);
  }
  return "<" + id + "@" + (domain.empty() ? "localhost" : domain.substr(0, 200)) + ">";
}

std::string body_text(const Event& event) {
  // Every value is escaped: no CR or LF of theirs reaches the SMTP server.
  const std::string lineage = util::escape_untrusted(event.lineage, 300);
  const std::string host = util::escape_untrusted(event.host, 300);
  std::string body;
  switch (event.kind) {
  case EventKind::renewal_failed:
    body = fmt::format("Renewing the certificate {} on {} failed", lineage, host);
    body += event.failures > 1 ? fmt::format(" ({} runs in a row).\n", event.failures) : ".\n";
    break;
  case EventKind::renewal_recovered:
    body = fmt::format("The certificate {} on {} was renewed after failing.\n", lineage, host);
    break;
  case EventKind::renewal_succeeded:
    body = fmt::format("The certificate {} on {} was renewed.\n", lineage, host);
    break;
  case EventKind::expiring:
    body = fmt::format("The certificate {} on {} expires soon and is not being renewed.\n", lineage,
                       host);
    break;
  }
  body += fmt::format("\nDomains: {}\n", util::escape_untrusted(joined(event.domains, ", "), 8000));
  if (event.not_after)
    body += fmt::format("Expires: {}\n", util::rfc3339_utc(*event.not_after));
  if (!event.error.empty())
    body += fmt::format("Error: {}\n", util::escape_untrusted(event.error, 4000));
  body += fmt::format("Time: {}\n", util::rfc3339_utc(event.time));
  if (event.kind == EventKind::renewal_failed)
    body += "\nRun `certsmith renew --cert-name " + lineage + " --dry-run` to see the failure.\n";
  return body;
}

// Bare LF to CRLF, as SMTP wants. No CR or LF of a value is left: header_safe and
// escape_untrusted wrote them as '?' or "\xNN"/"\n".
std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += "\r\n";
    else
      out += c;
  }
  return out;
}

} // namespace

std::string_view event_name(EventKind kind) {
  switch (kind) {
  case EventKind::renewal_failed:
    return "renewal_failed";
  case EventKind::renewal_recovered:
    return "renewal_recovered";
  case EventKind::renewal_succeeded:
    return "renewal_succeeded";
  default:
    return "expiring";
  }
}

std::string subject_line(const Event& event) {
  std::string text;
  switch (event.kind) {
  case EventKind::renewal_failed:
    text = fmt::format("certsmith: renewal of {} failed on {}", event.lineage, event.host);
    break;
  case EventKind::renewal_recovered:
    text = fmt::format("certsmith: {} renewed again on {}", event.lineage, event.host);
    break;
  case EventKind::renewal_succeeded:
    text = fmt::format("certsmith: {} renewed on {}", event.lineage, event.host);
    break;
  case EventKind::expiring:
    text = fmt::format("certsmith: {} expires soon on {}", event.lineage, event.host);
    break;
  }
  return header_safe(text, 200);
}

Email build_email(const Event& event, const std::string& from, const std::vector<std::string>& to) {
  Email email{from, to, ""};
  std::string headers;
  headers += "From: " + header_safe(from, 254) + "\n";
  headers += "To: " + header_safe(joined(to, ", "), 4000) + "\n";
  headers += "Subject: " + subject_line(event) + "\n";
  headers += "Date: " + mail_date(event.time) + "\n";
  headers += "Message-ID: " + message_id(event.host) + "\n";
  headers += "MIME-Version: 1.0\n";
  headers += "Content-Type: text/plain; charset=utf-8\n";
  headers += "Content-Transfer-Encoding: 8bit\n";
  headers += "Auto-Submitted: auto-generated\n";
  headers += "X-Certsmith-Event: " + std::string(event_name(event.kind)) + "\n";
  email.message = crlf(headers + "\n" + body_text(event));
  return email;
}

std::string webhook_json(const Event& event) {
  nlohmann::json document = {
      {"schema_version", 1},
      {"event", event_name(event.kind)},
      {"lineage", event.lineage},
      {"domains", event.domains},
      {"error", event.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.error)},
      {"not_after",
       event.not_after ? nlohmann::json(util::rfc3339_utc(*event.not_after)) : nlohmann::json()},
      {"host", event.host},
      {"time", util::rfc3339_utc(event.time)},
      {"failures", event.failures},
  };
  // Invalid UTF-8 in a CA's message is replaced rather than thrown on.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace certsmith::notify
