#pragma once
// Fallback certificates: what a lineage serves while it has no valid
// certificate from the CA. `certonly --bootstrap-self-signed` creates the
// lineage with a self-signed placeholder before the order, so a web server
// configured for live/NAME can start at once; with `--fallback-self-signed`
// (or `--fallback-cert/--fallback-key`, e.g. a purchased wildcard), a lineage
// whose renewal keeps failing until its certificate has expired switches
// live/ to a fallback. Either way the next successful issuance replaces it
// as a new archive version, as any renewal does.
//
// Which kind is live is recorded in the renewal conf (certsmith_live_kind),
// written in the same step as the version it describes (save_successor writes
// the conf right after switching live/). A real issuance clears it. The conf,
// not the certificate, is the record because a user's fallback cannot carry
// a marker and because renew reads the conf of every lineage anyway, while it
// parses certificates only when they changed (the expiry index). A crash
// between the switch and the conf write leaves the label one step behind;
// both wrong labels are harmless: a real certificate labelled a placeholder
// is renewed once more, a placeholder labelled real is an expired lineage
// renew retries anyway. certbot ignores these keys and drops them when it
// renews, which is right: its certificate is a real one.
//
// While a placeholder is live its certificate is not one this CA issued (a
// purchased wildcard has an AKI all the same), so renew neither asks ARI about
// it nor names it in the order's `replaces` (renew_all.cpp). A user fallback is
// set per lineage and accepted only when it covers every name of that lineage
// (a wildcard covers one label), checked when set and again when switched to.

// One job per file:
//   fallback_kind.hpp         which kind is live, read from the conf
//   fallback_settings.hpp     --fallback-* / --no-fallback checked and recorded
//   fallback_user.hpp         the user's certificate and key read and checked
//   fallback_self_signed.hpp  bootstrap and self-signed placeholders
//   fallback_switch.hpp       what renew does: names to order, switch when expired

#include "issuance/fallback_kind.hpp"
#include "issuance/fallback_self_signed.hpp"
#include "issuance/fallback_settings.hpp"
#include "issuance/fallback_switch.hpp"
#include "issuance/fallback_user.hpp"
