#pragma once
// The families of certsmith's Prometheus textfile and how their lines are
// spelled, shared by renew (which writes the whole file) and certonly (which
// merges one lineage's figures into it).

#include <array>
#include <string>
#include <string_view>

namespace certsmith::issuance {

struct MetricFamily {
  std::string_view name;
  std::string_view help;
  bool per_lineage; // samples carry a lineage="NAME" label first
};

/// In the order the file lists them; every family is a gauge.
inline constexpr std::array<MetricFamily, 10> k_metric_families{{
    {"certsmith_certificate_expiry_timestamp_seconds",
     "notAfter of the certificate a lineage serves, as a Unix time.", true},
    {"certsmith_renewal_last_attempt_timestamp_seconds",
     "When certsmith last tried to renew the lineage, as a Unix time.", true},
    {"certsmith_renewal_last_attempt_success",
     "1 when the lineage's last renewal attempt succeeded, 0 when it failed.", true},
    {"certsmith_certificate_placeholder",
     "1 while a lineage serves a self-signed or user fallback instead of a certificate from the "
     "CA; kind says which.",
     true},
    {"certsmith_renew_run_timestamp_seconds", "When the last renew run ended.", false},
    {"certsmith_renew_run_duration_seconds", "How long the last renew run took.", false},
    {"certsmith_renew_run_success",
     "1 when the last renew run ended with no failed lineage, 0 when one failed or the run "
     "stopped with an error.",
     false},
    {"certsmith_lineages_examined", "Lineages the last renew run examined.", false},
    {"certsmith_lineages_renewed", "Lineages the last renew run renewed.", false},
    {"certsmith_lineages_failed", "Lineages whose renewal failed in the last run.", false},
}};

/// A label value as the exposition format wants it: backslash, double quote
/// and line feed escaped (lineage names are checked elsewhere; this is the
/// last line of defence for the file's syntax).
std::string metrics_label_value(std::string_view value);

/// "# HELP NAME help\n# TYPE NAME gauge\n" for one of k_metric_families.
std::string metric_family_header(std::string_view name);

} // namespace certsmith::issuance
