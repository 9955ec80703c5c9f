"""A user switches from the Debian `certbot` package to certsmith: the lineage certbot wrote renews with
`certsmith renew`, and certbot still reads and renews the tree afterwards."""

from __future__ import annotations

import json
import os
import re


from conftest import describe
from hook_log import HookLog
from inspect_tree import LIVE_FILES, lineage_problems, live_version, parse_renewal_conf, sans, serial_hex

NAMES = ("x.example.com", "www.x.example.com")
NAME = NAMES[0]
# certbot 2.1 does not always retry a rejected nonce (TESTING.md): no rejections for the steps it performs.
PEBBLE_OPTIONS = {"nonce_reject": 0}


def test_certbot_lineage_renews_with_certsmith_and_back(run_certsmith, certbot, pebble, tmp_path):
    run = run_certsmith
    hooks = HookLog(tmp_path / "hooks.log")
    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "--agree-tos", "--register-unsafely-without-email",
                     "--deploy-hook", hooks.command("certbot-deploy"), *[a for d in NAMES for a in ("-d", d)])
    assert issued.returncode == 0, describe(issued)
    assert hooks.hooks() == ["certbot-deploy"]
    conf_path = run.config_dir / "renewal" / f"{NAME}.conf"
    conf_before = parse_renewal_conf(conf_path)
    account = conf_before["renewalparams"]["account"]
    accounts_dir = run.config_dir / "accounts" / pebble.account_server_dir
    assert sorted(p.name for p in accounts_dir.iterdir()) == [account]
    live = run.config_dir / "live" / NAME
    serial_1 = serial_hex(live / "cert.pem")

    # certsmith renews certbot's lineage with what certbot recorded: server, standalone port, account, hook.
    hooks.clear()
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    assert renewed.stdout.splitlines()[-1] == "1 renewed, 0 not due, 0 failed.", describe(renewed)
    assert live_version(live) == 2
    assert lineage_problems(run.config_dir, NAME) == []
    assert sans(live / "cert.pem") == set(NAMES)
    assert serial_hex(live / "cert.pem") != serial_1
    assert sorted(p.name for p in accounts_dir.iterdir()) == [account], "certsmith registered another account"
    assert [(c.hook, c.lineage) for c in hooks.calls()] == [("certbot-deploy", str(live))], "saved renew_hook"
    conf_after = parse_renewal_conf(conf_path)
    assert conf_after["renewalparams"]["account"] == account
    for key in ("server", "authenticator", "http01_port", "renew_hook"):
        assert conf_after["renewalparams"][key] == conf_before["renewalparams"][key], key

    json_run = run("renew", "--json")  # nothing due now; certbot's conf keys parse without complaint
    assert json_run.returncode == 0, describe(json_run)
    assert json.loads(json_run.stdout)["not_due"] == 1, describe(json_run)

    # certbot still understands the tree ...
    listed = certbot("certificates")
    assert listed.returncode == 0, describe(listed)
    assert "invalid" not in listed.stdout.lower() + listed.stderr.lower(), describe(listed)
    assert f"Certificate Name: {NAME}" in listed.stdout, describe(listed)
    m = re.search(r"Serial Number: ([0-9a-f]+)", listed.stdout)
    assert m and m.group(1) == serial_hex(live / "cert.pem"), describe(listed)
    assert "(VALID:" in listed.stdout, describe(listed)

    # ... and renews it again, on to version 3.
    again = certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert again.returncode == 0, describe(again)
    assert live_version(live) == 3
    for stem in LIVE_FILES:
        assert os.readlink(live / f"{stem}.pem") == f"../../archive/{NAME}/{stem}3.pem"
    assert lineage_problems(run.config_dir, NAME) == []
    assert sorted(p.name for p in accounts_dir.iterdir()) == [account]

    listing = run("certificates")
    assert listing.returncode == 0, describe(listing)
    assert f"Serial Number: {serial_hex(live / 'cert.pem')}" in listing.stdout, describe(listing)
