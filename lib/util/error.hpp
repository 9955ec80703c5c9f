#pragma once
// The typed error hierarchy. Library code throws these at the edges of I/O;
// cli/main.cpp catches them once and maps each kind to an exit code and one line.

#include <stdexcept>
#include <string>

namespace certsmith {

/// Documented process exit codes (see README "Exit codes").
enum class ExitCode : int {
  ok = 0,
  failure = 1,   // anything not covered below
  usage = 2,     // bad command line or cli.ini value
  network = 3,   // could not talk to the CA
  acme = 4,      // the CA refused (problem document)
  challenge = 5, // validation of an identifier failed
  storage = 6,   // config/work/log tree could not be read or written
  hook = 7,      // a hook failed
};

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  virtual ExitCode exit_code() const { return ExitCode::failure; }
};

class UsageError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::usage; }
};

class NetworkError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::network; }
};

class StorageError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::storage; }
};

class CryptoError : public Error {
public:
  using Error::Error;
};

class ChallengeError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::challenge; }
};

class HookError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::hook; }
};

} // namespace certsmith
