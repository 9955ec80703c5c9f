#include "notify/rate_state.hpp"

#include "store/atomic_file.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace certsmith::notify {

namespace {

constexpr std::size_t k_max_state_bytes = 16 * 1024 * 1024;
constexpr std::size_t k_max_message_bytes = 2000;

long long seconds_of(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::chrono::system_clock::time_point time_of(long long seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

} // namespace

std::filesystem::path RateState::default_path(const std::filesystem::path& work_dir) {
  return work_dir / "notify-state.json";
}

RateState RateState::load(const std::filesystem::path& path) {
  std::string text;
  try {
    if (!std::filesystem::exists(path))
      return from_json("", path);
    text = store::read_file(path, k_max_state_bytes);
  } catch (const std::exception& error) {
    util::log_warning("ignoring the notification state {}: {}", path.string(), error.what());
  }
  return from_json(text, path);
}

RateState RateState::from_json(const std::string& text, std::filesystem::path path) {
  RateState state;
  state.m_path = std::move(path);
  if (text.empty())
    return state;
  try {
    auto document = nlohmann::json::parse(text);
    for (const auto& [name, entry] : document.at("lineages").items()) {
      LineageState lineage;
      lineage.failing = entry.value("failing", false);
      lineage.failures = entry.value("failures", 0);
      lineage.first_failure = time_of(entry.value("first_failure", 0LL));
      lineage.last_notified = time_of(entry.value("last_notified", 0LL));
      lineage.message = entry.value("message", "");
      lineage.last_expiry_notice = time_of(entry.value("last_expiry_notice", 0LL));
      state.m_lineages[name] = lineage;
    }
  } catch (const std::exception& error) {
    util::log_warning("ignoring the notification state {}: {}", state.m_path.string(),
                      error.what());
    state.m_lineages.clear();
  }
  return state;
}

std::string RateState::to_json() const {
  nlohmann::json lineages = nlohmann::json::object();
  for (const auto& [name, lineage] : m_lineages) {
    lineages[name] = {{"failing", lineage.failing},
                      {"failures", lineage.failures},
                      {"first_failure", seconds_of(lineage.first_failure)},
                      {"last_notified", seconds_of(lineage.last_notified)},
                      {"message", lineage.message},
                      {"last_expiry_notice", seconds_of(lineage.last_expiry_notice)}};
  }
  nlohmann::json document = {{"version", 1}, {"lineages", lineages}};
  return document.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void RateState::save() const {
  store::write_file_atomic(m_path, to_json(), 0600);
}

const LineageState* RateState::find(const std::string& lineage) const {
  auto found = m_lineages.find(lineage);
  return found == m_lineages.end() ? nullptr : &found->second;
}

std::optional<EventKind> RateState::record(const std::string& name, RunResult result,
                                           const std::string& error, bool expiring, bool on_success,
                                           std::chrono::seconds interval, TimePoint now) {
  auto existing = m_lineages.find(name);
  m_previous[name] = existing == m_lineages.end() ? LineageState{} : existing->second;
  LineageState& state = m_lineages[name];
  std::optional<EventKind> event;
  switch (result) {
  case RunResult::failed:
    if (!state.failing) {
      state.failing = true;
      state.failures = 0;
      state.first_failure = now;
    }
    ++state.failures;
    state.message = error.substr(0, k_max_message_bytes);
    // The first failure at once, a lasting one once per interval. A clock set
    // back (now before the last notice) counts as "interval passed".
    if (state.failures == 1 || now - state.last_notified >= interval || now < state.last_notified) {
      state.last_notified = now;
      event = EventKind::renewal_failed;
    }
    break;
  case RunResult::renewed:
    if (state.failing)
      event = EventKind::renewal_recovered;
    else if (on_success)
      event = EventKind::renewal_succeeded;
    state.failing = false;
    state.failures = 0;
    state.last_notified = {};
    state.last_expiry_notice = {};
    break;
  case RunResult::untouched:
    if (expiring &&
        (now - state.last_expiry_notice >= interval || now < state.last_expiry_notice)) {
      state.last_expiry_notice = now;
      event = EventKind::expiring;
    }
    break;
  }
  return event;
}

void RateState::forget_notice(const std::string& lineage, EventKind kind) {
  auto previous = m_previous.find(lineage);
  if (previous == m_previous.end())
    return;
  LineageState& state = m_lineages[lineage];
  if (kind == EventKind::renewal_failed) {
    state.last_notified = previous->second.last_notified;
    // Not yet told at all: the next run tells it as a first failure would be.
    if (state.last_notified == TimePoint{})
      state.failures = 0;
  } else if (kind == EventKind::expiring) {
    state.last_expiry_notice = previous->second.last_expiry_notice;
  } else if (kind == EventKind::renewal_recovered) {
    state = previous->second;
    state.failing = true; // tell the recovery next time
  }
}

void RateState::retain(const std::vector<std::string>& names) {
  std::set<std::string> keep(names.begin(), names.end());
  for (auto it = m_lineages.begin(); it != m_lineages.end();) {
    // Keep the file small: a lineage with nothing to remember has no entry.
    bool nothing = !it->second.failing && it->second.last_expiry_notice == TimePoint{};
    if (!keep.contains(it->first) || nothing)
      it = m_lineages.erase(it);
    else
      ++it;
  }
}

} // namespace certsmith::notify
