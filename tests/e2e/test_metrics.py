"""`renew --metrics-file PATH` writes a Prometheus textfile (node_exporter's textfile collector format):
each lineage's expiry, its last renewal attempt and result, the run's duration and the lineage counts.

The file is read back with python3-prometheus-client's own text-format parser, so a syntax error fails the
test as it would fail the collector. A failing lineage is made by pointing its renewal conf at a server that
does not listen; its failure must stay in the file after a later run that finds nothing due.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import time

import pytest

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
    assert values[("certsmith_lineages_examined", ())] == 2
    assert values[("certsmith_lineages_renewed", ())] == 1
    assert values[("certsmith_lineages_failed", ())] == 1
    assert 0 <= values[("certsmith_renew_run_duration_seconds", ())] <= after - before + 1
    assert not list(metrics.parent.glob(".*")), "no temp file left beside the metrics file"

    # Nothing is due now: the failure and the success stay on record, the run's counts are new.
    quiet = run_certsmith("renew", "--cert-name", "good.metrics.example.com", "--metrics-file", str(metrics))
    assert quiet.returncode == 0, describe(quiet)
    values = read_metrics(metrics)
    assert values[("certsmith_lineages_examined", ())] == 1
    assert values[("certsmith_lineages_failed", ())] == 0
    assert values[("certsmith_renewal_last_attempt_success", lineage("good.metrics.example.com"))] == 1
    assert values[("certsmith_renewal_last_attempt_timestamp_seconds",
                   lineage("good.metrics.example.com"))] <= after + 1


def test_metrics_file_that_cannot_be_written_is_a_warning_after_the_summary(run_certsmith, sandbox):
    result = run_certsmith.certonly("unwritable.metrics.example.com")
    assert result.returncode == 0, describe(result)
    target = sandbox / "no-such-dir" / "certsmith.prom"
    result = run_certsmith("renew", "--metrics-file", str(target))
    assert result.returncode == 0, describe(result)  # the renewal itself went well
    assert "No renewals were attempted." in result.stderr + result.stdout
    assert not [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    warnings = [line for line in result.stderr.splitlines() if "the metrics file was not written" in line]
    assert len(warnings) == 1, describe(result)
    assert "no-such-dir" in warnings[0]


def test_a_dry_run_leaves_the_metrics_file_alone(run_certsmith, sandbox):
    result = run_certsmith.certonly("dry.metrics.example.com")
    assert result.returncode == 0, describe(result)
    metrics = sandbox / "certsmith.prom"
    assert run_certsmith("renew", "--metrics-file", str(metrics)).returncode == 0
    before = metrics.read_bytes()
    dry = run_certsmith("renew", "--dry-run", "--server", run_certsmith.server,
                        "--register-unsafely-without-email", "--metrics-file", str(metrics))
    assert dry.returncode == 0, describe(dry)
    assert metrics.read_bytes() == before
    values = read_metrics(metrics)
    assert values[("certsmith_lineages_renewed", ())] == 0
    assert values[("certsmith_renew_run_success", ())] == 1
    assert values[("certsmith_certificate_placeholder",
                   (("kind", "real"), ("lineage", "dry.metrics.example.com")))] == 0


def test_a_run_that_stops_with_an_error_still_writes_the_file(run_certsmith, sandbox):
    metrics = sandbox / "certsmith.prom"
    metrics.write_text("certsmith_renew_run_success 1\n")  # the last good run's file
    before = time.time()
    result = run_certsmith("renew", "--cert-name", "no-such-lineage", "--metrics-file", str(metrics))
    assert result.returncode == 2, describe(result)
    values = read_metrics(metrics)
    assert values[("certsmith_renew_run_success", ())] == 0
    assert values[("certsmith_renew_run_timestamp_seconds", ())] >= int(before)
    assert values[("certsmith_renew_run_duration_seconds", ())] >= 0


def test_promtool_accepts_the_metrics_file(run_certsmith, sandbox):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian's prometheus package); prometheus_client's parser "
                    "checked the format in the other tests")
    assert run_certsmith.certonly("promtool.metrics.example.com").returncode == 0
    metrics = sandbox / "certsmith.prom"
    assert run_certsmith("renew", "--metrics-file", str(metrics)).returncode == 0
    check = subprocess.run([promtool, "check", "metrics"], input=metrics.read_text(), capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_certonly_merges_its_lineage_into_the_metrics_file(run_certsmith, sandbox):
    metrics = sandbox / "certsmith.prom"
    first = run_certsmith.certonly("one.metrics.example.com", extra=("--metrics-file", str(metrics)))
    assert first.returncode == 0, describe(first)
    renewed = run_certsmith("renew", "--metrics-file", str(metrics))  # the timer's run writes the whole file
    assert renewed.returncode == 0, describe(renewed)
    second = run_certsmith.certonly("two.metrics.example.com", extra=("--metrics-file", str(metrics)))
    assert second.returncode == 0, describe(second)
    values = read_metrics(metrics)
    for name in ("one.metrics.example.com", "two.metrics.example.com"):
        cert = run_certsmith.config_dir / "live" / name / "cert.pem"
        assert values[("certsmith_certificate_expiry_timestamp_seconds", lineage(name))] == \
            not_after(cert).timestamp()
        assert values[("certsmith_certificate_placeholder", (("kind", "real"), ("lineage", name)))] == 0
    assert values[("certsmith_renewal_last_attempt_success", lineage("two.metrics.example.com"))] == 1
    assert values[("certsmith_lineages_examined", ())] == 1  # the renew run's figures stay as they were

    # A failed certonly: its attempt is 0, everything else stays.
    failed = run_certsmith.certonly("two.metrics.example.com", extra=("--force-renewal", "--metrics-file",
                                                                      str(metrics)),
                                    server="https://127.0.0.1:1/dir")
    assert failed.returncode != 0, describe(failed)
    values = read_metrics(metrics)
    assert values[("certsmith_renewal_last_attempt_success", lineage("two.metrics.example.com"))] == 0
    assert ("certsmith_certificate_expiry_timestamp_seconds", lineage("one.metrics.example.com")) in values
    assert stat.S_IMODE(mode(metrics)) == 0o644
