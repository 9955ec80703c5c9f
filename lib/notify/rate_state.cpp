#include "notify/rate_state.hpp"

#include "store/atomic_file.hpp"
#include "util/log.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <type_traits>

namespace certsmith::notify {

namespace {

// A state file is a few hundred bytes per failing lineage: anything larger,
// or with names or counts no tree has, was not written by us.
constexpr std::size_t k_max_state_bytes = 1024 * 1024;
constexpr std::size_t k_max_message_bytes = 2000;
constexpr std::size_t k_max_name_bytes = 255;
constexpr std::size_t k_max_lineages = 10000;

long long seconds_of(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::chrono::system_clock::time_point time_of(long long seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

bool known_channel(const std::string& channel) {
  return channel == "mail" || channel == "webhook";
}

// Typed reads that throw on a wrong type instead of converting it.
void require(bool condition, const char* what) {
  if (!condition)
    throw std::runtime_error(what);
}

template <typename T> T field(const nlohmann::json& object, const char* key, T fallback) {
  auto found = object.find(key);
  if (found == object.end())
    return fallback;
  // get<int> would convert a float (1e300: undefined behaviour) or a bool.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    require(found->is_number_integer(), "a count or time is not an integer");
  return found->get<T>();
}

// Seconds since the epoch, within what a time_point of nanoseconds holds.
std::chrono::system_clock::time_point time_field(const nlohmann::json& object, const char* key) {
  long long seconds = field(object, key, 0LL);
  require(seconds >= 0 && seconds < 100'000'000'000LL, "a time out of range");
  return time_of(seconds);
}

// The interval has passed since `last`, or `last` is zero (never), or the clock
// was set back (now before `last`): a clock change never silences a notice for ever.
bool due_again(std::chrono::system_clock::time_point last,
               std::chrono::system_clock::time_point now, std::chrono::seconds interval) {
  using TimePoint = std::chrono::system_clock::time_point;
  return last == TimePoint{} || now - last >= interval || now < last;
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
    const auto& lineages = document.at("lineages");
    require(lineages.is_object() && lineages.size() <= k_max_lineages,
            "lineages is not an object of at most 10000 entries");
    for (const auto& [name, entry] : lineages.items()) {
      require(!name.empty() && name.size() <= k_max_name_bytes, "a lineage name is too long");
      require(entry.is_object(), "a lineage entry is not an object");
      LineageState lineage;
      lineage.failing = field(entry, "failing", false);
      lineage.failures = field(entry, "failures", 0);
      require(lineage.failures >= 0, "a negative failure count");
      lineage.first_failure = time_field(entry, "first_failure");
      lineage.message = field(entry, "message", std::string()).substr(0, k_max_message_bytes);
      auto channels = entry.find("channels");
      if (channels != entry.end()) {
        require(channels->is_object(), "channels is not an object");
        for (const auto& [channel, told] : channels->items()) {
          require(known_channel(channel) && told.is_object(), "an unknown channel");
          ChannelState record;
          record.told_failure = time_field(told, "told_failure");
          record.told_expiry = time_field(told, "told_expiry");
          record.owes_recovery = field(told, "owes_recovery", false);
          lineage.channels[channel] = record;
        }
      }
      state.m_lineages[name] = std::move(lineage);
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
    nlohmann::json channels = nlohmann::json::object();
    for (const auto& [channel, told] : lineage.channels)
      channels[channel] = {{"told_failure", seconds_of(told.told_failure)},
                           {"told_expiry", seconds_of(told.told_expiry)},
                           {"owes_recovery", told.owes_recovery}};
    lineages[name] = {{"failing", lineage.failing},
                      {"failures", lineage.failures},
                      {"first_failure", seconds_of(lineage.first_failure)},
                      {"message", lineage.message},
                      {"channels", channels}};
  }
  nlohmann::json document = {{"version", 2}, {"lineages", lineages}};
  return document.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void RateState::save() const {
  store::write_file_atomic(m_path, to_json(), 0600);
}

const LineageState* RateState::find(const std::string& lineage) const {
  auto found = m_lineages.find(lineage);
  return found == m_lineages.end() ? nullptr : &found->second;
}

void RateState::record(const std::string& name, RunResult result, const std::string& error,
                       const std::vector<std::string>& channels, TimePoint now) {
  LineageState& state = m_lineages[name];
  switch (result) {
  case RunResult::failed:
    if (!state.failing) {
      state.failing = true;
      state.failures = 0;
      state.first_failure = now;
      for (auto& [channel, told] : state.channels)
        told.told_failure = {};
    }
    ++state.failures;
    state.message = error.substr(0, k_max_message_bytes);
    // Failing again before a recovery was delivered: that recovery is moot.
    for (auto& [channel, told] : state.channels)
      told.owes_recovery = false;
    break;
  case RunResult::renewed:
    for (const auto& channel : channels) {
      ChannelState& told = state.channels[channel];
      told.owes_recovery = told.owes_recovery || state.failing;
      told.told_failure = {};
      told.told_expiry = {};
    }
    state.failing = false;
    state.failures = 0;
    break;
  case RunResult::untouched:
    break;
  }
}

std::optional<EventKind> RateState::due(const std::string& lineage, const std::string& channel,
                                        RunResult result, bool expiring, bool on_success,
                                        std::chrono::seconds interval, TimePoint now) const {
  const LineageState* state = find(lineage);
  ChannelState told;
  if (state != nullptr) {
    auto found = state->channels.find(channel);
    if (found != state->channels.end())
      told = found->second;
  }
  if (state != nullptr && state->failing && due_again(told.told_failure, now, interval))
    return EventKind::renewal_failed;
  if (told.owes_recovery)
    return EventKind::renewal_recovered;
  if (result == RunResult::renewed && on_success)
    return EventKind::renewal_succeeded;
  if (expiring && due_again(told.told_expiry, now, interval))
    return EventKind::expiring;
  return std::nullopt;
}

void RateState::delivered(const std::string& lineage, const std::string& channel, EventKind kind,
                          TimePoint now) {
  ChannelState& told = m_lineages[lineage].channels[channel];
  switch (kind) {
  case EventKind::renewal_failed:
    told.told_failure = now;
    break;
  case EventKind::renewal_recovered:
    told.owes_recovery = false;
    break;
  case EventKind::expiring:
    told.told_expiry = now;
    break;
  case EventKind::renewal_succeeded:
    break;
  }
}

void RateState::retain(const std::vector<std::string>& names) {
  std::set<std::string> keep(names.begin(), names.end());
  for (auto it = m_lineages.begin(); it != m_lineages.end();) {
    // Keep the file small: a lineage with nothing to remember has no entry.
    bool nothing = !it->second.failing;
    for (const auto& [channel, told] : it->second.channels)
      nothing = nothing && !told.owes_recovery && told.told_expiry == TimePoint{};
    if (!keep.contains(it->first) || nothing)
      it = m_lineages.erase(it);
    else
      ++it;
  }
}

} // namespace certsmith::notify
