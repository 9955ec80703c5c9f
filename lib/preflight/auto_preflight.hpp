#pragma once
// The automatic preflight before a first issuance (certonly for a lineage that
// does not exist yet), skipped with --no-preflight: doctor's DNS, CAA and
// email checks, and with --webroot or --standalone an http-01 rehearsal. Only
// what the CA would refuse too (CAA forbids it, a malformed email) stops the
// run; everything else is one warning line each on stderr, because the CA's
// view can differ from this host's (split-horizon DNS, a firewall that lets
// the CA in).

#include "http/transport.hpp"
#include "preflight/doctor.hpp"
#include "preflight/lookup.hpp"
#include "util/clock.hpp"

#include <filesystem>
#include <string>

namespace certsmith::preflight {

/// True when CONFIG_DIR/renewal/LINEAGE.conf does not exist: certonly would
/// create the lineage rather than renew or replace it.
bool is_first_issuance(const std::filesystem::path& config_dir, const std::string& lineage_name);

/// Run the checks of `request` (its token site, when set, gets the http-01
/// rehearsal through `probe_transport`). Warnings go to stderr one line each,
/// passes to the log file. Throws ChallengeError, one line, naming the
/// blockers, after at most one more stderr line with the fix.
void run_automatic_preflight(const DoctorRequest& request, Resolver& resolver,
                             http::Transport& ca_transport, http::Transport* probe_transport,
                             util::Clock& clock);

} // namespace certsmith::preflight
