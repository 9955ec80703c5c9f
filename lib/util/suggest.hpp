#pragma once
// "Did you mean ...?" for a mistyped command or flag: the closest known word
// by edit distance, offered only when it is close enough to be a typo.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::util {

/// Insertions, deletions, substitutions and swaps of two neighbouring
/// characters (optimal string alignment: "renwe" is 1 from "renew").
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to typed, when it is at most max(1, typed's length / 4)
/// edits away (capped at 3) and no other candidate is as near; nullopt otherwise,
/// so that a word typed out of the blue gets no random suggestion.
std::optional<std::string> closest_match(std::string_view typed,
                                         const std::vector<std::string>& candidates);

} // namespace certsmith::util
