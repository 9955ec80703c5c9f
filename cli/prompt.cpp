#include "prompt.hpp"

#include "util/error.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <string>
#include <unistd.h>

namespace certsmith::cli {

bool confirm(const Options& options, std::string_view question, bool non_interactive_answer,
             std::string_view flag_hint) {
  if (options.non_interactive)
    return non_interactive_answer;
  if (!isatty(STDIN_FILENO))
    throw UsageError(fmt::format("{} (no terminal to ask on: pass -n{}{})", question,
                                 flag_hint.empty() ? "" : " or ", flag_hint));
  while (true) {
    std::fprintf(stdout, "%.*s (y)es/(n)o: ", static_cast<int>(question.size()), question.data());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer))
      return false; // end of input: the cautious answer
    if (answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes")
      return true;
    if (answer == "n" || answer == "N" || answer == "no" || answer == "No")
      return false;
  }
}

} // namespace certsmith::cli
