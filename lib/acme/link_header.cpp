#include "acme/link_header.hpp"

#include <algorithm>
#include <cctype>

namespace certsmith::acme {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

void skip_spaces(std::string_view text, std::size_t& at) {
  while (at < text.size() && is_space(text[at]))
    ++at;
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

// A token or quoted-string parameter value starting at `at`; false when a
// quote is not closed.
bool read_value(std::string_view text, std::size_t& at, std::string& value) {
  value.clear();
  if (at < text.size() && text[at] == '"') {
    for (++at; at < text.size(); ++at) {
      if (text[at] == '\\' && at + 1 < text.size())
        value += text[++at];
      else if (text[at] == '"')
        return ++at, true;
      else
        value += text[at];
    }
    return false;
  }
  while (at < text.size() && text[at] != ';' && text[at] != ',' && !is_space(text[at]))
    value += text[at++];
  return true;
}

std::vector<std::string> split_rels(std::string_view rel) {
  std::vector<std::string> rels;
  std::size_t at = 0;
  while (at < rel.size()) {
    skip_spaces(rel, at);
    std::size_t end = at;
    while (end < rel.size() && !is_space(rel[end]))
      ++end;
    if (end > at)
      rels.push_back(lower(rel.substr(at, end - at)));
    at = end;
  }
  return rels;
}

// Skip to just past the ',' that ends the current link-value (outside quotes).
void skip_to_next_link(std::string_view text, std::size_t& at) {
  bool quoted = false;
  for (; at < text.size(); ++at) {
    if (text[at] == '"')
      quoted = !quoted;
    else if (text[at] == ',' && !quoted)
      break;
  }
  ++at;
}

} // namespace

std::vector<Link> parse_link_header(std::string_view value) {
  std::vector<Link> links;
  std::size_t at = 0;
  while (at < value.size()) {
    skip_spaces(value, at);
    if (at >= value.size())
      break;
    std::size_t close = value.find('>', at);
    if (value[at] != '<' || close == std::string_view::npos) {
      skip_to_next_link(value, at);
      continue;
    }
    Link link{std::string(value.substr(at + 1, close - at - 1)), {}};
    at = close + 1;
    bool well_formed = true;
    while (true) {
      skip_spaces(value, at);
      if (at >= value.size() || value[at] != ';')
        break;
      ++at;
      skip_spaces(value, at);
      std::size_t name_end = at;
      while (name_end < value.size() && value[name_end] != '=' && value[name_end] != ';' &&
             value[name_end] != ',' && !is_space(value[name_end]))
        ++name_end;
      std::string name = lower(value.substr(at, name_end - at));
      at = name_end;
      skip_spaces(value, at);
      std::string parameter;
      if (at < value.size() && value[at] == '=') {
        ++at;
        skip_spaces(value, at);
        if (!read_value(value, at, parameter)) {
          well_formed = false;
          break;
        }
      }
      // RFC 8288 §3.3: only the first rel parameter counts.
      if (name == "rel" && link.rels.empty())
        link.rels = split_rels(parameter);
    }
    skip_spaces(value, at);
    if (well_formed && (at >= value.size() || value[at] == ','))
      links.push_back(std::move(link));
    skip_to_next_link(value, at);
  }
  return links;
}

std::vector<std::string> link_targets(const std::vector<std::string>& header_values,
                                      std::string_view rel) {
  std::vector<std::string> targets;
  for (const auto& value : header_values)
    for (auto& link : parse_link_header(value))
      if (std::find(link.rels.begin(), link.rels.end(), lower(rel)) != link.rels.end())
        targets.push_back(std::move(link.target));
  return targets;
}

} // namespace certsmith::acme
