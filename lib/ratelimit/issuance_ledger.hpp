#pragma once
// A local record of the certificates this host was issued, so that a run can
// see before it orders that the CA's rate limits would refuse it (Let's
// Encrypt: 50 certificates per registered domain and 5 for the same set of
// names, each per 7 days). One JSON file in the work dir, written atomically,
// holding only the entries still inside the window (and at most
// k_max_entries of them), so it cannot grow without bound.
//
// It also remembers when the CA itself said "rateLimited ... come back at T"
// (Retry-After): until T, no order goes to that CA for names of the same
// registered domains, so a timer (or an always-due placeholder lineage) does
// not hammer a CA that has already refused.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::ratelimit {

inline constexpr std::size_t k_max_entries = 10000;

struct Issuance {
  std::string server; // ACME directory URL: limits are per CA
  std::chrono::system_clock::time_point when;
  std::vector<std::string> names; // lower-cased, sorted, unique
};

/// The CA refused an order with rateLimited and said when to come back.
struct Backoff {
  std::string server;
  std::chrono::system_clock::time_point until;
  std::vector<std::string> names; // the refused order's, as name_set gives them
  /// The duplicate-certificate limit refused: only this exact set of names is
  /// held back, not every name of its registered domains.
  bool exact_names = false;
};

struct Limits {
  int per_registered_domain = 50;
  int duplicate_certificate = 5;
  std::chrono::seconds window = std::chrono::hours(24 * 7);
};

/// Lower-cased, sorted, duplicates removed: "the same set of names" as the CA sees it.
std::vector<std::string> name_set(const std::vector<std::string>& names);

/// Let's Encrypt's renewal exemption from the per-registered-domain limit: the
/// order renews only when the previous certificate came from the CA (not a
/// self-signed or user placeholder) and had exactly the same set of names.
/// previous_names empty: there is no previous certificate.
bool counts_as_renewal(const std::vector<std::string>& previous_names, bool previous_is_real,
                       const std::vector<std::string>& names);

class IssuanceLedger {
public:
  /// WORK_DIR/issuance-ledger.json; an absent file is an empty ledger, a
  /// damaged or foreign one is reported with a warning and started afresh.
  /// Entries whose times are out of range (negative, past 2200) are dropped
  /// with one warning; the file is read up to 16 MiB, a larger one is damaged.
  static IssuanceLedger load(const std::filesystem::path& work_dir);

  /// Replace the file (0600), keeping only entries inside `window` before now.
  void save(const std::filesystem::path& work_dir, std::chrono::system_clock::time_point now,
            std::chrono::seconds window) const;

  void record(Issuance issuance);
  const std::vector<Issuance>& issuances() const { return m_issuances; }

  /// Remember a rateLimited answer (saved with the ledger until it ends).
  void record_backoff(Backoff backoff);
  const std::vector<Backoff>& backoffs() const { return m_backoffs; }
  /// The latest end, after now, of a backoff from `server` whose names share a
  /// registered domain with `names` (an exact_names backoff: whose names are
  /// the same set); std::nullopt when none applies.
  std::optional<std::chrono::system_clock::time_point>
  backoff_until(const std::string& server, const std::vector<std::string>& names,
                std::chrono::system_clock::time_point now) const;

  /// One sentence per limit that one more certificate for `names` from
  /// `server` would reach or pass; empty when it fits. A renewal is exempt
  /// from the per-registered-domain limit, as at Let's Encrypt.
  std::vector<std::string> over_limits(const std::string& server,
                                       const std::vector<std::string>& names,
                                       std::chrono::system_clock::time_point now,
                                       const Limits& limits, bool renewal = false) const;

  /// When one more certificate would fit every limit over_limits names: for
  /// each limit reached with `count` certificates where `limit` are allowed,
  /// when the (count - limit + 1)-th oldest of those it counts leaves the
  /// window; the latest of these. std::nullopt when it fits now.
  std::optional<std::chrono::system_clock::time_point>
  fits_again_at(const std::string& server, const std::vector<std::string>& names,
                std::chrono::system_clock::time_point now, const Limits& limits,
                bool renewal = false) const;

private:
  std::vector<Issuance> m_issuances; // oldest first
  std::vector<Backoff> m_backoffs;
};

} // namespace certsmith::ratelimit
