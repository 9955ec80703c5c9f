#include "util/terminal.hpp"

#include <cstdlib>
#include <mutex>
#include <unistd.h>

namespace certsmith::util {

namespace {

std::mutex g_mutex;
std::string g_progress; // the progress line shown on stderr; empty: none

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0)
      return; // the terminal must never take the program down
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Spaces rather than an erase-line code: \r and spaces work on every terminal, dumb ones too.
std::string wipe(std::size_t width) {
  return "\r" + std::string(width, ' ') + "\r";
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

} // namespace

bool colour_wanted(bool is_terminal, const char* term, const char* no_color) {
  if (!is_terminal)
    return false;
  if (no_color != nullptr && *no_color != '\0')
    return false;
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
}

bool colour_on(int fd) {
  static const bool stdout_colour =
      colour_wanted(is_terminal(STDOUT_FILENO), std::getenv("TERM"), std::getenv("NO_COLOR"));
  static const bool stderr_colour =
      colour_wanted(is_terminal(STDERR_FILENO), std::getenv("TERM"), std::getenv("NO_COLOR"));
  if (fd == STDOUT_FILENO)
    return stdout_colour;
  if (fd == STDERR_FILENO)
    return stderr_colour;
  return colour_wanted(is_terminal(fd), std::getenv("TERM"), std::getenv("NO_COLOR"));
}

std::string paint(std::string_view text, Tone tone) {
  const char* start = "";
  switch (tone) {
  case Tone::plain:
    return std::string(text);
  case Tone::error:
    start = "\x1b[31m";
    break;
  case Tone::warning:
    start = "\x1b[33m";
    break;
  case Tone::success:
    start = "\x1b[32m";
    break;
  }
  return std::string(start) + std::string(text) + "\x1b[0m";
}

void write_terminal_line(int fd, std::string_view line, Tone tone) {
  std::string text = colour_on(fd) ? paint(line, tone) : std::string(line);
  text += '\n';
  std::lock_guard lock(g_mutex);
  if (g_progress.empty()) {
    write_all(fd, text);
    return;
  }
  // The progress line is on stderr; a line for stdout on the same terminal would land after it.
  write_all(STDERR_FILENO, wipe(g_progress.size()));
  write_all(fd, text);
  write_all(STDERR_FILENO, g_progress);
}

void show_progress(std::string_view text) {
  if (!is_terminal(STDERR_FILENO))
    return;
  std::lock_guard lock(g_mutex);
  std::string line = "\r" + std::string(text);
  if (text.size() < g_progress.size()) // pad over the longer line before
    line += std::string(g_progress.size() - text.size(), ' ') + "\r" + std::string(text);
  write_all(STDERR_FILENO, line);
  g_progress = text;
}

void clear_progress() {
  std::lock_guard lock(g_mutex);
  if (g_progress.empty())
    return;
  write_all(STDERR_FILENO, wipe(g_progress.size()));
  g_progress.clear();
}

} // namespace certsmith::util
