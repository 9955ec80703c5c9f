#pragma once
// Parsing JSON that came from the network: bounded in size and nesting depth,
// because nlohmann/json parses 200,000 nested arrays and then crashes copying them.

#include <nlohmann/json.hpp>
#include <string_view>

namespace certsmith::acme {

inline constexpr std::size_t k_max_json_bytes = 1024 * 1024;
inline constexpr int k_max_json_depth = 32;

/// Parse body; throws ProtocolError naming `what` when it is larger than
/// k_max_json_bytes, nested deeper than k_max_json_depth, or not JSON.
nlohmann::json parse_json_body(std::string_view body, std::string_view what);

} // namespace certsmith::acme
