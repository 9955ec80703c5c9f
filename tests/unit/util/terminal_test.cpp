#include "util/terminal.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <unistd.h>

using certsmith::util::colour_wanted;
using certsmith::util::paint;
using certsmith::util::Tone;

TEST_CASE("colour only on a terminal that is not dumb and without NO_COLOR") {
  CHECK(colour_wanted(true, "xterm-256color", nullptr));
  CHECK(colour_wanted(true, "xterm", "")); // no-color.org: an empty NO_COLOR does not disable
  CHECK_FALSE(colour_wanted(false, "xterm", nullptr)); // a pipe, a log, cron mail
  CHECK_FALSE(colour_wanted(true, "xterm", "1"));
  CHECK_FALSE(colour_wanted(true, "xterm", "0")); // any non-empty value disables
  CHECK_FALSE(colour_wanted(true, "dumb", nullptr));
  CHECK_FALSE(colour_wanted(true, nullptr, nullptr));
  CHECK_FALSE(colour_wanted(true, "", nullptr));
}

TEST_CASE("paint wraps text in the tone's colour and resets it") {
  CHECK(paint("failed", Tone::error) == "\x1b[31mfailed\x1b[0m");
  CHECK(paint("careful", Tone::warning) == "\x1b[33mcareful\x1b[0m");
  CHECK(paint("renewed", Tone::success) == "\x1b[32mrenewed\x1b[0m");
  CHECK(paint("plain", Tone::plain) == "plain");
}

TEST_CASE("a line written to a pipe is plain") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  certsmith::util::write_terminal_line(fds[1], "certsmith: error: boom", Tone::error);
  ::close(fds[1]);
  char buffer[128] = {};
  ssize_t n = ::read(fds[0], buffer, sizeof buffer - 1);
  ::close(fds[0]);
  CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0) == "certsmith: error: boom\n");
}
