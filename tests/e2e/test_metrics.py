"""`renew --metrics-file PATH` writes a Prometheus textfile (node_exporter's textfile collector format):
each lineage's expiry, its last renewal attempt and result, the run's duration and the lineage counts.

The file is read back with python3-prometheus-client's own text-format parser, so a syntax error fails the
test as it would fail the collector. A failing lineage is made by pointing its renewal conf at a server that
does not listen; its failure must stay in the file after a later run that finds nothing due.
"""

from __future__ import annotations

import re
import stat
import time

from prometheus_client.parser import text_string_to_metric_families

from conftest import describe
from inspect_tree import mode, not_after


def read_metrics(path) -> dict[tuple[str, tuple], float]:
    """(metric name, sorted labels) -> value, parsed by the Prometheus client's parser."""
    values = {}
    for family in text_string_to_metric_families(path.read_text()):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def lineage(name: str) -> tuple:
    return (("lineage", name),)


def break_server(run, name: str) -> None:
    conf = run.config_dir / "renewal" / f"{name}.conf"
    text = re.sub(r"(?m)^server = .*$", "server = https://127.0.0.1:1/dir", conf.read_text())
    conf.write_text(text)


def test_metrics_file_reports_expiry_attempts_and_failures(run_certsmith, sandbox):
    for name in ("good.metrics.example.com", "bad.metrics.example.com"):
        result = run_certsmith.certonly(name)
        assert result.returncode == 0, describe(result)
    break_server(run_certsmith, "bad.metrics.example.com")
    metrics = sandbox / "textfile" / "certsmith.prom"
    metrics.parent.mkdir()

    before = time.time()
    result = run_certsmith("renew", "--force-renewal", "--metrics-file", str(metrics))
    after = time.time()
    assert result.returncode == 1, describe(result)
    assert stat.S_IMODE(mode(metrics)) == 0o644
    values = read_metrics(metrics)

    good_cert = run_certsmith.config_dir / "live" / "good.metrics.example.com" / "cert.pem"
    expiry = values[("certsmith_certificate_expiry_timestamp_seconds", lineage("good.metrics.example.com"))]
    assert expiry == not_after(good_cert).timestamp()
    assert ("certsmith_certificate_expiry_timestamp_seconds", lineage("bad.metrics.example.com")) in values
    assert values[("certsmith_renewal_last_attempt_success", lineage("good.metrics.example.com"))] == 1
    assert values[("certsmith_renewal_last_attempt_success", lineage("bad.metrics.example.com"))] == 0
    attempt = values[("certsmith_renewal_last_attempt_timestamp_seconds", lineage("bad.metrics.example.com"))]
    assert int(before) <= attempt <= after + 1
    assert values[("certsmith_lineages_total", ())] == 2
    assert values[("certsmith_lineages_renewed", ())] == 1
    assert values[("certsmith_lineages_failed", ())] == 1
    assert 0 <= values[("certsmith_renew_run_duration_seconds", ())] <= after - before + 1
    assert not list(metrics.parent.glob(".*")), "no temp file left beside the metrics file"

    # Nothing is due now: the failure and the success stay on record, the run's counts are new.
    quiet = run_certsmith("renew", "--cert-name", "good.metrics.example.com", "--metrics-file", str(metrics))
    assert quiet.returncode == 0, describe(quiet)
    values = read_metrics(metrics)
    assert values[("certsmith_lineages_total", ())] == 1
    assert values[("certsmith_lineages_failed", ())] == 0
    assert values[("certsmith_renewal_last_attempt_success", lineage("good.metrics.example.com"))] == 1
    assert values[("certsmith_renewal_last_attempt_timestamp_seconds",
                   lineage("good.metrics.example.com"))] <= after + 1


def test_metrics_file_that_cannot_be_written_is_one_clear_error_after_the_summary(run_certsmith, sandbox):
    result = run_certsmith.certonly("unwritable.metrics.example.com")
    assert result.returncode == 0, describe(result)
    target = sandbox / "no-such-dir" / "certsmith.prom"
    result = run_certsmith("renew", "--metrics-file", str(target))
    assert result.returncode == 6, describe(result)
    assert "No renewals were attempted." in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    assert len(errors) == 1, describe(result)
    assert "no-such-dir" in errors[0]
