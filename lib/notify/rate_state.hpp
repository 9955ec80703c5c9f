#pragma once
// Who has been told what: per lineage, whether it is failing (and how many
// runs in a row), and per channel ("mail", "webhook") which notices that
// channel has delivered, kept in the work dir (notify-state.json) so a renew
// timer firing every few hours does not mail every time. The first failure is
// told at once, a lasting one at most once per interval, a recovery once, an
// expiry warning at most once per interval. Each channel keeps its own record:
// a notice one channel could not deliver is tried again on the next run on
// that channel alone, and the channel that delivered it is not sent it again.

#include "notify/event.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::notify {

/// What a run did with one lineage, as far as notifications care.
enum class RunResult { renewed, failed, untouched };

/// What one channel has delivered about one lineage.
struct ChannelState {
  std::chrono::system_clock::time_point told_failure{}; // zero: not told of this failure spell
  std::chrono::system_clock::time_point told_expiry{};  // zero: no expiry notice delivered
  bool owes_recovery = false; // renewed after failing; the recovery is not delivered yet
  bool operator==(const ChannelState&) const = default;
};

struct LineageState {
  bool failing = false;
  int failures = 0; // failed runs in a row; only a renewal resets it
  std::chrono::system_clock::time_point first_failure{};
  std::string message; // the last failure's (kept for the recovery notice)
  std::map<std::string, ChannelState> channels;
};

class RateState {
public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// Missing state is an empty one; an unreadable, oversized or malformed one
  /// is an empty one with one warning (at worst a person is told twice).
  static RateState load(const std::filesystem::path& path);
  static std::filesystem::path default_path(const std::filesystem::path& work_dir);

  /// Record what this run did with `lineage`, whose notices go to `channels`.
  void record(const std::string& lineage, RunResult result, const std::string& error,
              const std::vector<std::string>& channels, TimePoint now);

  /// The notice `channel` should deliver now for `lineage`, if any (after record()).
  /// `expiring` is set when the live certificate expires within the notice
  /// window and renewal is not fixing it.
  std::optional<EventKind> due(const std::string& lineage, const std::string& channel,
                               RunResult result, bool expiring, bool on_success,
                               std::chrono::seconds interval, TimePoint now) const;

  /// `channel` delivered `kind`: remember it so it is not sent again too soon.
  void delivered(const std::string& lineage, const std::string& channel, EventKind kind,
                 TimePoint now);

  const LineageState* find(const std::string& lineage) const;

  /// Drops lineages that no longer exist or have nothing to remember (call before save).
  void retain(const std::vector<std::string>& names);

  /// Atomic write (0600: error messages may name internal hosts).
  void save() const;

  std::string to_json() const;
  static RateState from_json(const std::string& text, std::filesystem::path path);

private:
  std::filesystem::path m_path;
  std::map<std::string, LineageState> m_lineages;
};

} // namespace certsmith::notify
