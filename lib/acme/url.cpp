#include "acme/url.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace certsmith::acme {

namespace {

// RFC 3986 appendix B: the five parts of a URI reference, each optional
// except the path (which may be empty).
struct UrlParts {
  std::optional<std::string> scheme;
  std::optional<std::string> authority;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

UrlParts split_url(std::string_view text) {
  UrlParts parts;
  auto delimiter = text.find_first_of(":/?#");
  if (delimiter != std::string_view::npos && delimiter > 0 && text[delimiter] == ':') {
    parts.scheme = std::string(text.substr(0, delimiter));
    text.remove_prefix(delimiter + 1);
  }
  if (text.starts_with("//")) {
    auto end = text.find_first_of("/?#", 2);
    parts.authority = std::string(text.substr(2, end == std::string_view::npos ? end : end - 2));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  if (auto hash = text.find('#'); hash != std::string_view::npos) {
    parts.fragment = std::string(text.substr(hash + 1));
    text = text.substr(0, hash);
  }
  if (auto question = text.find('?'); question != std::string_view::npos) {
    parts.query = std::string(text.substr(question + 1));
    text = text.substr(0, question);
  }
  parts.path = std::string(text);
  return parts;
}

std::string joined_url(const UrlParts& parts) {
  std::string out;
  if (parts.scheme)
    out += *parts.scheme + ":";
  if (parts.authority)
    out += "//" + *parts.authority;
  out += parts.path;
  if (parts.query)
    out += "?" + *parts.query;
  if (parts.fragment)
    out += "#" + *parts.fragment;
  return out;
}

void drop_last_segment(std::string& output) {
  auto slash = output.rfind('/');
  output.erase(slash == std::string::npos ? 0 : slash);
}

// RFC 3986 §5.2.4, step by step as the RFC writes it.
std::string without_dot_segments(std::string input) {
  std::string output;
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.erase(0, 3);
    } else if (input.starts_with("./")) {
      input.erase(0, 2);
    } else if (input.starts_with("/./")) {
      input.erase(0, 2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.starts_with("/../")) {
      input.erase(0, 3);
      drop_last_segment(output);
    } else if (input == "/..") {
      input = "/";
      drop_last_segment(output);
    } else if (input == "." || input == "..") {
      input.clear();
    } else {
      auto end = input.find('/', 1);
      output += input.substr(0, end);
      input.erase(0, end == std::string::npos ? input.size() : end);
    }
  }
  return output;
}

// RFC 3986 §5.2.3.
std::string merged_path(const UrlParts& base, const std::string& reference_path) {
  if (base.authority && base.path.empty())
    return "/" + reference_path;
  auto slash = base.path.rfind('/');
  return (slash == std::string::npos ? std::string() : base.path.substr(0, slash + 1)) +
         reference_path;
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "" for a port that is not 1-5 digits up to 65535; the number otherwise.
std::string normalised_port(std::string_view port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return {};
  unsigned long value = std::stoul(std::string(port));
  return value > 65535 ? std::string() : std::to_string(value);
}

std::string default_port(const std::string& scheme) {
  if (scheme == "https")
    return "443";
  if (scheme == "http")
    return "80";
  return {};
}

} // namespace

std::string resolve_url_reference(std::string_view reference, std::string_view base_url) {
  const UrlParts relative = split_url(reference);
  const UrlParts base = split_url(base_url);
  UrlParts target;
  target.fragment = relative.fragment;
  if (relative.scheme) {
    target = relative;
    target.path = without_dot_segments(relative.path);
    return joined_url(target);
  }
  target.scheme = base.scheme;
  if (relative.authority) {
    target.authority = relative.authority;
    target.path = without_dot_segments(relative.path);
    target.query = relative.query;
    return joined_url(target);
  }
  target.authority = base.authority;
  if (relative.path.empty()) {
    target.path = base.path;
    target.query = relative.query ? relative.query : base.query;
  } else {
    target.path = without_dot_segments(
        relative.path.starts_with('/') ? relative.path : merged_path(base, relative.path));
    target.query = relative.query;
  }
  return joined_url(target);
}

std::string origin_of(std::string_view url) {
  const UrlParts parts = split_url(url);
  if (!parts.scheme || !parts.authority || parts.authority->find('@') != std::string::npos)
    return {};
  const std::string scheme = lower_case(*parts.scheme);
  const std::string& authority = *parts.authority;
  // The port follows the last ':' unless that sits inside an IPv6 "[...]".
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  if (colon != std::string::npos && bracket != std::string::npos && colon < bracket)
    colon = std::string::npos;
  std::string host = lower_case(authority.substr(0, colon));
  std::string_view port_text = colon == std::string::npos
                                   ? std::string_view()
                                   : std::string_view(authority).substr(colon + 1);
  std::string port = port_text.empty() ? default_port(scheme) : normalised_port(port_text);
  if (host.empty() || port.empty())
    return {};
  return scheme + "://" + host + ":" + port;
}

} // namespace certsmith::acme
