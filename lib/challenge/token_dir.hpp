#pragma once
// The directory `certsmith serve` answers http-01 from (default
// WORK_DIR/http-01-tokens): one file per token, named by the token and holding
// its key authorization. Renewal runs with `--authenticator serve` write and
// remove the files; `serve` reads them afresh for every request, so any number
// of runs (each under its own tree lock) can share one responder. No lock is
// taken: every write is a rename, every file has one writer.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::challenge {

class TokenDir {
public:
  explicit TokenDir(std::filesystem::path path) : m_path(std::move(path)) {}
  const std::filesystem::path& path() const { return m_path; }

  /// Create the directory (and missing parents) mode 0755 when missing, so a
  /// web server or `serve` running as another user can read it, then check it
  /// as every other member does: opened O_NOFOLLOW (a symlink is refused), it
  /// must be owned by us or root and writable by no one else, or another user
  /// could plant the token of their own order there and have serve answer it.
  /// Throws ChallengeError (one line: the path, what was found, the fix).
  void ensure_exists() const;

  /// Write path/token holding key_authorization, mode 0644, atomically (a
  /// temp file opened O_EXCL|O_NOFOLLOW in the checked directory, then renamed
  /// over the name, so a symlink planted there is replaced, never followed).
  /// Throws ChallengeError for a token that is not base64url, before touching
  /// the disk, and for a directory ensure_exists refuses.
  void write(const std::string& token, const std::string& key_authorization) const;

  /// Remove path/token; a missing file is fine. Never throws (logs a warning).
  void remove(const std::string& token) const noexcept;

  /// The key authorization stored for token, or nullopt when the token is not
  /// base64url (or too long to be a file name), the directory fails the
  /// checks of ensure_exists, the file is missing, is not a regular file (a
  /// symlink is not followed), or is larger than any key authorization can
  /// be. Never throws.
  std::optional<std::string> read(std::string_view token) const noexcept;

  /// Whether .serve.pid names a live process: a `certsmith serve` reading
  /// this directory (see ServeHeartbeat). A heuristic for a warning: a
  /// missing, stale or unreadable file is false. Never throws.
  bool served_by_live_process() const noexcept;

private:
  std::filesystem::path m_path;
};

/// `certsmith serve` holds one while it runs: .serve.pid in the token
/// directory holds its pid (written like a token, 0644), removed on a clean
/// stop, so `-a serve` can warn that nothing would answer its tokens. The
/// name starts with '.', which base64url never holds: it is never served.
class ServeHeartbeat {
public:
  explicit ServeHeartbeat(TokenDir tokens); // throws ChallengeError
  ~ServeHeartbeat();
  ServeHeartbeat(const ServeHeartbeat&) = delete;
  ServeHeartbeat& operator=(const ServeHeartbeat&) = delete;

private:
  TokenDir m_tokens;
};

/// Where the serve authenticator and `certsmith serve` keep tokens when no
/// --serve-token-dir is given: WORK_DIR/http-01-tokens.
std::filesystem::path default_token_dir(const std::filesystem::path& work_dir);

} // namespace certsmith::challenge
