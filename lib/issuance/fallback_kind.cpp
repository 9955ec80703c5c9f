#include "issuance/fallback_kind.hpp"

namespace certsmith::issuance {

// No `default:` below: -Wswitch names every switch a new kind must reach.

LiveKind live_kind_of(const store::RenewalParams& params) {
  const std::string& kind = params.certsmith_live_kind;
  if (kind.empty() || kind == live_kind_name(LiveKind::real))
    return LiveKind::real;
  if (kind == live_kind_name(LiveKind::self_signed_bootstrap))
    return LiveKind::self_signed_bootstrap;
  if (kind == live_kind_name(LiveKind::self_signed_fallback))
    return LiveKind::self_signed_fallback;
  return LiveKind::user_fallback;
}

std::string_view live_kind_name(LiveKind kind) {
  switch (kind) {
  case LiveKind::real:
    return "real";
  case LiveKind::self_signed_bootstrap:
    return "self-signed-bootstrap";
  case LiveKind::self_signed_fallback:
    return "self-signed-fallback";
  case LiveKind::user_fallback:
    return "user-fallback";
  }
  return "user-fallback"; // not reached: an out-of-range value counts as a placeholder
}

std::string_view live_kind_label(LiveKind kind) {
  switch (kind) {
  case LiveKind::real:
    return "real";
  case LiveKind::self_signed_bootstrap:
    return "self-signed bootstrap";
  case LiveKind::self_signed_fallback:
    return "self-signed fallback";
  case LiveKind::user_fallback:
    return "user fallback";
  }
  return "user fallback"; // not reached
}

bool placeholder_is_live(const store::RenewalParams& params) {
  return live_kind_of(params) != LiveKind::real;
}

} // namespace certsmith::issuance
