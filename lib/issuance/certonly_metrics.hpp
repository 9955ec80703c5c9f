#pragma once
// `certonly --metrics-file PATH`: the one lineage certonly worked on, merged
// into the textfile renew writes (same format, metrics_format.hpp). The
// lineage's own lines are replaced; every other lineage's lines and the last
// renew run's figures are kept as the file holds them, so a platform that
// issues with certonly and renews with a timer can point both at one file.

#include "issuance/certonly.hpp"
#include "issuance/metrics_file.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::issuance {

struct LineageFigures {
  std::string name;
  std::optional<std::chrono::system_clock::time_point> not_after; // nullopt: keep the file's
  std::optional<RenewalAttempt> attempt; // nullopt: nothing was ordered (a kept certificate)
  std::string live_kind;                 // live_kind_name; "": keep the file's
};

/// certonly's figures for the lineage it worked on. A kept or restored
/// certificate made no attempt at the CA: the file's attempt lines stay.
LineageFigures certonly_figures(const CertonlyResult& result,
                                std::chrono::system_clock::time_point now);

/// A certonly that stopped with an error: one failed attempt under the name
/// its lineage has or would get (--cert-name, else the first name as a new
/// lineage is named: lower case, "*." dropped); "" when no name is usable.
LineageFigures failed_certonly_figures(const CertonlyRequest& request,
                                       std::chrono::system_clock::time_point now);

/// The file's text with figures laid over it. Lines of existing that are not
/// samples of certsmith's families (or not well formed) are dropped, so a
/// damaged file heals; every family header is written once, in order.
std::string merge_lineage_metrics(std::string_view existing, const LineageFigures& figures);

/// Record the attempt in WORK_DIR/renewal-attempts, take the live kind from
/// the lineage's conf, then replace metrics_file atomically (0644) with the
/// merge. A dry run writes nothing (said at debug level); a failure is one
/// warning and false.
bool write_certonly_metrics(const std::filesystem::path& metrics_file,
                            const store::TreePaths& paths, LineageFigures figures, bool dry_run);

} // namespace certsmith::issuance
