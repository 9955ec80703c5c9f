"""A user gives certbot's --issuance-timeout: how many seconds the CA may take to issue once the order is
finalized (certbot's default 90). It applies to certonly and renew, is never saved in the renewal conf (as
certbot), and a value that is not a sensible number of seconds is refused up front in one line."""

from __future__ import annotations

import pytest

from conftest import describe
from inspect_tree import archive_versions, lineage_problems


@pytest.mark.parametrize("value", ["0", "-5", "86401", "99999999999999999999", "ninety", "1e3", ""])
def test_a_timeout_that_is_not_1_to_86400_seconds_is_refused_before_anything_happens(run_certsmith, value):
    result = run_certsmith.certonly("timeout.example.com", extra=(f"--issuance-timeout={value}",))
    assert result.returncode == 2, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error: ")]
    assert len(errors) == 1 and "--issuance-timeout" in errors[0], describe(result)
    assert not run_certsmith.config_dir.exists() or not any(run_certsmith.config_dir.rglob("*.pem")), \
        "something was issued"


def test_certonly_and_renew_take_a_timeout_and_save_it_nowhere(run_certsmith):
    first = run_certsmith.certonly("timeout.example.com", extra=("--issuance-timeout", "30"))
    assert first.returncode == 0, describe(first)
    conf = (run_certsmith.config_dir / "renewal" / "timeout.example.com.conf").read_text()
    assert "issuance" not in conf, conf

    renewed = run_certsmith("renew", "--force-renewal", "--issuance-timeout", "86400")
    assert renewed.returncode == 0, describe(renewed)
    assert archive_versions(run_certsmith.config_dir, "timeout.example.com")["cert"] == [1, 2]
    assert "issuance" not in (run_certsmith.config_dir / "renewal" / "timeout.example.com.conf").read_text()
    assert lineage_problems(run_certsmith.config_dir, "timeout.example.com") == []


def test_certbot_flags_lists_both_flags_as_supported(run_certsmith):
    result = run_certsmith("certbot-flags", dirs=False)
    assert result.returncode == 0, describe(result)
    supported = result.stdout.split("Ignored:")[0]
    assert "--issuance-timeout VALUE" in supported, result.stdout
    assert "--renew-with-new-domains" in supported, result.stdout
    dry_run = run_certsmith.certonly("flags.example.com", extra=("--issuance-timeout", "60", "--dry-run"))
    assert dry_run.returncode == 0, describe(dry_run)
    assert "warning" not in dry_run.stderr, describe(dry_run)
