#pragma once
// Archive file names and versions (internal to store/).

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace certsmith::store {

/// Certbot's ALL_FOUR, in the order Lineage keeps its links.
inline constexpr std::array<const char*, 4> k_lineage_kinds = {"cert", "privkey", "chain",
                                                               "fullchain"};

/// ("cert", 7) for "cert7.pem"; nullopt for any other name.
std::optional<std::pair<std::string, int>> parse_archive_name(std::string_view filename);

/// Versions present per kind in `archive_dir` (empty when it does not exist). Throws StorageError.
std::map<std::string, std::set<int>> archive_versions(const std::filesystem::path& archive_dir);

/// live/.NAME.new: where the next live set is built beside live/NAME.
std::filesystem::path pending_live_dir(const std::filesystem::path& live_dir);

} // namespace certsmith::store
