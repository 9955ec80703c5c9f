#include "acme/json_body.hpp"

#include "acme/problem.hpp"

#include <fmt/format.h>

namespace certsmith::acme {

nlohmann::json parse_json_body(std::string_view body, std::string_view what) {
  if (body.size() > k_max_json_bytes)
    throw ProtocolError(
        fmt::format("{} from the CA is larger than {} bytes", what, k_max_json_bytes));
  bool too_deep = false;
  // The callback sees every value as it is parsed; refusing to go deeper keeps
  // both the parser and the later copies of the tree bounded.
  auto limit_depth = [&too_deep](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        depth >= k_max_json_depth) {
      too_deep = true;
      throw ProtocolError("nested too deeply");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(body.begin(), body.end(), limit_depth);
  } catch (const ProtocolError&) {
    throw ProtocolError(
        fmt::format("{} from the CA is nested deeper than {} levels", what, k_max_json_depth));
  } catch (const nlohmann::json::exception&) {
    throw ProtocolError(fmt::format("{} from the CA is not valid JSON", what));
  }
}

} // namespace certsmith::acme
