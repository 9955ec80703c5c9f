"""A user's CA rejects half of all nonces (PEBBLE_WFE_NONCEREJECT=50); issuance still succeeds every time."""

from __future__ import annotations

from conftest import describe
from inspect_tree import sans

PEBBLE_OPTIONS = {"nonce_reject": 50}


def test_three_issuances_in_a_row_with_half_the_nonces_rejected(run_certsmith, pebble):
    for i in range(3):
        name = f"nonce{i}.example.com"
        result = run_certsmith.certonly(name, f"www.{name}")
        assert result.returncode == 0, f"issuance {i + 1} of 3 failed\n" + describe(result)
        assert sans(run_certsmith.config_dir / "live" / name / "cert.pem") == {name, f"www.{name}"}
    accounts = list((run_certsmith.config_dir / "accounts" / pebble.account_server_dir).iterdir())
    assert len(accounts) == 1, f"one account expected for one server, found {accounts}"
    renewed = run_certsmith.certonly("nonce0.example.com", "www.nonce0.example.com", extra=("--force-renewal",))
    assert renewed.returncode == 0, describe(renewed)
    assert "Configured to reject 50% of good nonces" in pebble.log_text(), "PEBBLE_WFE_NONCEREJECT not in effect"
