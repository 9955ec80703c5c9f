#pragma once
// Who has been told what: per lineage, whether it is failing, when a person
// was last told and with which message, kept in the work dir
// (notify-state.json) so a renew timer firing every few hours does not mail
// every time. The first failure is told at once, a lasting one at most once
// per interval, a recovery once; an expiry warning at most once per interval.

#include "notify/event.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace certsmith::notify {

/// What a run did with one lineage, as far as notifications care.
enum class RunResult { renewed, failed, untouched };

struct LineageState {
  bool failing = false;
  int failures = 0; // failed runs in a row
  std::chrono::system_clock::time_point first_failure{};
  std::chrono::system_clock::time_point last_notified{}; // of the failure; zero = never
  std::string message;                                   // the last failure's
  std::chrono::system_clock::time_point last_expiry_notice{};
};

class RateState {
public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// Missing or unreadable state is an empty one (at worst a person is told twice).
  static RateState load(const std::filesystem::path& path);
  static std::filesystem::path default_path(const std::filesystem::path& work_dir);

  /// Record what this run did with `lineage` and say which event, if any, is due now.
  /// `expiring` is set when the live certificate expires within the notice window.
  std::optional<EventKind> record(const std::string& lineage, RunResult result,
                                  const std::string& error, bool expiring, bool on_success,
                                  std::chrono::seconds interval, TimePoint now);

  /// The lineage's state after record() (for the event's details).
  const LineageState* find(const std::string& lineage) const;

  /// A notification that could not be sent is tried again on the next run.
  void forget_notice(const std::string& lineage, EventKind kind);

  /// Drops lineages that no longer exist or have nothing to remember (call before save).
  void retain(const std::vector<std::string>& names);

  /// Atomic write (0600: error messages may name internal hosts).
  void save() const;

  std::string to_json() const;
  static RateState from_json(const std::string& text, std::filesystem::path path);

private:
  std::filesystem::path m_path;
  std::map<std::string, LineageState> m_lineages;
  std::map<std::string, LineageState> m_previous; // before this run's record(), for forget_notice
};

} // namespace certsmith::notify
