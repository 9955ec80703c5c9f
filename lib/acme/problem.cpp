#include "acme/problem.hpp"

#include "acme/json_body.hpp"
#include "acme/retry_after.hpp"
#include "util/clock.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>

namespace certsmith::acme {

namespace {

std::string string_member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string shorten(const std::string& type) {
  if (type.starts_with(k_acme_error_prefix))
    return type.substr(k_acme_error_prefix.size());
  return type;
}

/// A rate limit says when it ends, in one line: what a person (or a platform
/// reading the log) needs in order to wait rather than retry and dig deeper.
std::string error_message(const Problem& problem) {
  if (!problem.is_rate_limit())
    return "the CA refused: " + problem.describe();
  std::string until = problem.retry_at ? " until " + util::rfc3339_utc(*problem.retry_at)
                                       : std::string(" (the CA did not say until when)");
  std::string detail = problem.detail.empty() ? "no detail given" : problem.detail;
  return util::escape_untrusted("rate limited by the CA" + until + ": " + detail, 2048);
}

} // namespace

std::string Problem::short_type() const {
  return shorten(type);
}

std::string Problem::describe() const {
  std::string text = type.empty() ? fmt::format("HTTP {}", status) : short_type();
  if (!detail.empty())
    text += ": " + detail;
  for (const auto& sub : subproblems) {
    text += fmt::format("; {}{}{}", sub.identifier.empty() ? "" : sub.identifier + ": ",
                        shorten(sub.type), sub.detail.empty() ? "" : ": " + sub.detail);
  }
  if (retry_after)
    text += fmt::format(" (retry after {} s)", retry_after->count());
  return util::escape_untrusted(text, 2048);
}

Problem problem_from_response(const http::Response& response) {
  Problem problem;
  problem.status = response.status;
  if (auto value = response.header("retry-after")) {
    auto now = std::chrono::system_clock::now();
    problem.retry_after = parse_retry_after(*value, now);
    problem.retry_at = parse_retry_at(*value, now);
  }
  nlohmann::json body;
  try {
    body = parse_json_body(response.body, "problem document");
  } catch (const ProtocolError&) {
    return problem; // not a problem document: the status alone must do
  }
  if (!body.is_object())
    return problem;
  problem.type = string_member(body, "type");
  problem.detail = string_member(body, "detail");
  auto subproblems = body.find("subproblems");
  if (subproblems != body.end() && subproblems->is_array()) {
    for (const auto& entry : *subproblems) {
      if (!entry.is_object())
        continue;
      Subproblem sub{string_member(entry, "type"), string_member(entry, "detail"), ""};
      auto identifier = entry.find("identifier");
      if (identifier != entry.end() && identifier->is_object())
        sub.identifier = string_member(*identifier, "value");
      problem.subproblems.push_back(std::move(sub));
    }
  }
  return problem;
}

AcmeError::AcmeError(Problem problem)
    : Error(error_message(problem)), m_problem(std::move(problem)) {}

} // namespace certsmith::acme
