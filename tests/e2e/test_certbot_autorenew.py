"""certbot's --no-autorenew: a lineage certbot saved with `autorenew = False` is skipped by certsmith's
renew (said so, nothing written) until --force-renewal, and the setting survives certsmith's renewal so
certbot keeps skipping it too."""

from __future__ import annotations

from conftest import describe
from inspect_tree import lineage_problems, live_version, parse_renewal_conf, snapshot

# certbot 2.1 does not always retry a rejected nonce (TESTING.md).
PEBBLE_OPTIONS = {"nonce_reject": 0}

NAME = "no-autorenew.example.com"


def _make_due(conf_path) -> None:
    """Pebble's certificates last far longer than 100 days' notice: renew_before_expiry makes it due."""
    text = conf_path.read_text()
    conf_path.write_text(text.replace("# renew_before_expiry = 30 days", "renew_before_expiry = 3650 days", 1))


def test_a_lineage_certbot_saved_with_no_autorenew_is_skipped(run_certsmith, certbot, pebble):
    run = run_certsmith
    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "--agree-tos", "--register-unsafely-without-email",
                     "--no-autorenew", "-d", NAME)
    assert issued.returncode == 0, describe(issued)
    conf_path = run.config_dir / "renewal" / f"{NAME}.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["autorenew"] == "False"
    _make_due(conf_path)

    before = snapshot(run.config_dir)
    skipped = run("renew")
    assert skipped.returncode == 0, describe(skipped)
    assert "automatic renewal is disabled" in skipped.stdout + skipped.stderr, describe(skipped)
    assert snapshot(run.config_dir) == before, "a skipped lineage was written"
    assert live_version(run.config_dir / "live" / NAME) == 1

    forced = run("renew", "--force-renewal")
    assert forced.returncode == 0, describe(forced)
    assert live_version(run.config_dir / "live" / NAME) == 2
    assert lineage_problems(run.config_dir, NAME) == []
    conf = parse_renewal_conf(conf_path)
    assert conf["renewalparams"]["autorenew"] == "False", conf_path.read_text()

    # certbot reads the conf certsmith left and skips the lineage as well.
    by_certbot = certbot("renew", "--no-random-sleep-on-renew")
    assert by_certbot.returncode == 0, describe(by_certbot)
    assert live_version(run.config_dir / "live" / NAME) == 2, describe(by_certbot)


def test_certsmith_no_autorenew_is_saved_for_certbot(run_certsmith, certbot):
    run = run_certsmith
    issued = run.certonly(NAME, extra=("--no-autorenew",))
    assert issued.returncode == 0, describe(issued)
    conf_path = run.config_dir / "renewal" / f"{NAME}.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["autorenew"] == "False"
    _make_due(conf_path)

    by_certbot = certbot("renew", "--no-random-sleep-on-renew")
    assert by_certbot.returncode == 0, describe(by_certbot)
    assert live_version(run.config_dir / "live" / NAME) == 1, describe(by_certbot)
    by_certsmith = run("renew")
    assert by_certsmith.returncode == 0, describe(by_certsmith)
    assert live_version(run.config_dir / "live" / NAME) == 1, describe(by_certsmith)
