#pragma once
// What a person at a terminal sees beyond plain lines: colour (errors red,
// warnings yellow, success green) and one progress line rewritten in place.
// Both only when the stream is a terminal, so that logs, pipes and cron mail
// get plain lines; colour also respects NO_COLOR (no-color.org) and TERM=dumb.
// The log file never goes through here. Thread-safe.

#include <string>
#include <string_view>

namespace certsmith::util {

enum class Tone { plain, error, warning, success };

/// The rule, with its inputs handed in (for tests): colour when the stream is a
/// terminal, TERM is set and not "dumb", and NO_COLOR is unset or empty.
bool colour_wanted(bool is_terminal, const char* term, const char* no_color);

/// colour_wanted for fd with isatty and the environment, decided once per fd.
bool colour_on(int fd);

/// text between the SGR codes of tone (none for plain).
std::string paint(std::string_view text, Tone tone);

/// Write one line (a newline is added) to fd, painted when colour_on(fd). A
/// progress line on the terminal is wiped first and drawn again after, so that
/// lines never run into it.
void write_terminal_line(int fd, std::string_view line, Tone tone = Tone::plain);

/// Show text as the progress line on stderr, replacing the previous one (\r,
/// padded over what was longer). Does nothing unless stderr is a terminal; a
/// caller that is quiet simply does not call it.
void show_progress(std::string_view text);

/// Wipe the progress line, leaving the cursor at the start of an empty line.
void clear_progress();

} // namespace certsmith::util
