#include "renew/time_interval.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace certsmith::renew {

namespace {

struct Unit {
  std::string_view name;
  long long seconds; // 0 for calendar units
  int months;
};

// parsedatetime's en_US unit spellings that it actually adds up ("hrs",
// "wks", "dys", "mo", "mths" and "yrs" are listed there but come out as zero).
constexpr std::array k_units{
    Unit{"s", 1, 0},         Unit{"sec", 1, 0},        Unit{"secs", 1, 0},   Unit{"second", 1, 0},
    Unit{"seconds", 1, 0},   Unit{"m", 60, 0},         Unit{"min", 60, 0},   Unit{"mins", 60, 0},
    Unit{"minute", 60, 0},   Unit{"minutes", 60, 0},   Unit{"h", 3600, 0},   Unit{"hr", 3600, 0},
    Unit{"hour", 3600, 0},   Unit{"hours", 3600, 0},   Unit{"d", 86400, 0},  Unit{"dy", 86400, 0},
    Unit{"day", 86400, 0},   Unit{"days", 86400, 0},   Unit{"w", 604800, 0}, Unit{"wk", 604800, 0},
    Unit{"week", 604800, 0}, Unit{"weeks", 604800, 0}, Unit{"month", 0, 1},  Unit{"months", 0, 1},
    Unit{"y", 0, 12},        Unit{"yr", 0, 12},        Unit{"year", 0, 12},  Unit{"years", 0, 12},
};

// Ten years is far beyond any certificate's lifetime; larger amounts are typos.
constexpr double k_max_seconds = 3650.0 * 86400;
constexpr int k_max_months = 120;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const Unit* find_unit(std::string_view name) {
  for (const Unit& unit : k_units)
    if (unit.name == name)
      return &unit;
  return nullptr;
}

} // namespace

std::optional<TimeInterval> parse_time_interval(std::string_view text) {
  std::string input = lower(text);
  std::string_view rest = input;
  auto skip_separators = [&] {
    for (;;) {
      while (!rest.empty() && (is_blank(rest.front()) || rest.front() == ','))
        rest.remove_prefix(1);
      if (rest.starts_with("and") && (rest.size() == 3 || is_blank(rest[3])))
        rest.remove_prefix(3);
      else
        return;
    }
  };
  skip_separators();
  // certbot: "If an integer is found with no associated unit, it is interpreted as days."
  if (!rest.empty() && rest.find_first_not_of("0123456789 \t") == std::string_view::npos)
    input += " days";
  rest = input;
  skip_separators();

  TimeInterval interval;
  double seconds = 0;
  bool any = false;
  while (!rest.empty()) {
    std::size_t number_end = rest.find_first_not_of("0123456789.");
    std::string_view number = rest.substr(0, number_end);
    double amount = 0;
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), amount);
    if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
        !std::isfinite(amount))
      return std::nullopt;
    rest.remove_prefix(number.size());
    while (!rest.empty() && is_blank(rest.front()))
      rest.remove_prefix(1);
    std::size_t unit_end = rest.find_first_not_of("abcdefghijklmnopqrstuvwxyz");
    const Unit* unit = find_unit(rest.substr(0, unit_end));
    if (unit == nullptr)
      return std::nullopt;
    rest.remove_prefix(unit->name.size());
    if (unit->months != 0) {
      if (amount != std::floor(amount) || amount > k_max_months)
        return std::nullopt;
      interval.months += static_cast<int>(amount) * unit->months;
    } else {
      seconds += amount * static_cast<double>(unit->seconds);
    }
    if (interval.months > k_max_months || seconds > k_max_seconds)
      return std::nullopt;
    any = true;
    std::size_t before = rest.size();
    skip_separators();
    if (!rest.empty() && before == rest.size())
      return std::nullopt; // "3days2" or "3 daysx": items must be apart
  }
  if (!any)
    return std::nullopt;
  interval.fixed = std::chrono::seconds(static_cast<long long>(std::llround(seconds)));
  return interval;
}

std::chrono::system_clock::time_point add_time_interval(std::chrono::system_clock::time_point base,
                                                        const TimeInterval& interval) {
  using namespace std::chrono;
  auto day = floor<days>(base);
  year_month_day date{day};
  year_month_day moved = date + months(interval.months);
  if (!moved.ok()) // 31 January + 1 month: the last day of February
    moved = year_month_day_last(moved.year(), month_day_last(moved.month()));
  return sys_days(moved) + (base - day) + interval.fixed;
}

} // namespace certsmith::renew
