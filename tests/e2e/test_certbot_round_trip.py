"""A server switches between certbot and certsmith, and back, on one /etc/letsencrypt: lineages made with the
webroot (a real nginx), standalone and manual-hook authenticators, RSA and ECDSA keys and saved deploy hooks are
renewed in turn by the Debian certbot and by certsmith against the same Pebble. After every step both tools'
`certificates` listings agree, the archive numbering continues (1, 2, 3, 4), live/ is consistent, the renewal
confs keep what was saved (authenticator, key type and size, hooks, account) and every hook ran where it should."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import describe
from hook_log import HookLog
from inspect_tree import (LIVE_FILES, archive_versions, certificates_listing_fields, key_shape, lineage_problems,
                          live_version, not_after, parse_certificates_listing, parse_renewal_conf)
from nginx_env import Nginx
from pebble_env import HarnessError, free_ports

# certbot 2.1 does not always retry a rejected nonce (TESTING.md): no rejections. Reused authorizations as
# rarely as Pebble allows, so every renewal answers its challenges again and each authenticator is exercised
# by each tool: Pebble 2.4 still reuses a valid authorization when rand.Intn(100) == 0 even at
# PEBBLE_AUTHZREUSE=0 (wfe.makeAuthorizations), so the hook checks count Pebble's validations instead of
# assuming one per name.
PEBBLE_OPTIONS = {"nonce_reject": 0, "extra_env": {"PEBBLE_AUTHZREUSE": "0"}}

# Renewal conf keys that must survive every step as the issuing tool saved them.
KEPT_PARAMS = ("authenticator", "server", "account", "key_type", "rsa_key_size", "elliptic_curve", "renew_hook",
               "manual_auth_hook", "manual_cleanup_hook", "pref_challs", "http01_port", "webroot_path")

# certbot writes back only values that differ from its defaults or came from its command line: its own renewal
# drops `rsa_key_size = 2048` that certonly saved from an explicit --rsa-key-size 2048 (same meaning).
CERTBOT_DEFAULTS = {"rsa_key_size": "2048"}

# The manual lineage's hooks answer dns-01 through pebble-challtestsrv's management API (Pebble resolves
# through it) and log each call with the CERTBOT_* variables as one JSON line.
MANUAL_HOOK = r'''
import json, os, sys, urllib.request
stage, log, management = sys.argv[1:4]
env = {k: v for k, v in os.environ.items() if k.startswith("CERTBOT_")}
with open(log, "a") as f:
    f.write(json.dumps({"stage": stage, "env": env}) + "\n")
host = "_acme-challenge." + env["CERTBOT_DOMAIN"] + "."
body = {"host": host, "value": env["CERTBOT_VALIDATION"]} if stage == "auth" else {"host": host}
request = urllib.request.Request(management + ("/set-txt" if stage == "auth" else "/clear-txt"),
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=5).read()
'''


@dataclass(frozen=True)
class Lineage:
    """One lineage of the round trip: its names, how it is issued (certbot's flags, which certsmith shares)
    and the key its privkey.pem must hold."""

    domains: tuple[str, ...]
    flags: tuple[str, ...]
    key: str

    @property
    def name(self) -> str:
        return self.domains[0]


@dataclass
class RoundTrip:
    """The sandbox both tools work on, the lineages, and the logs of the hooks they run."""

    run: object  # CertsmithRunner
    certbot: object
    lineages: list[Lineage]
    hooks: HookLog
    manual_log: Path
    nginx: Nginx

    def live(self, lineage: Lineage) -> Path:
        return self.run.config_dir / "live" / lineage.name

    @property
    def manual(self) -> Lineage:
        return next(lineage for lineage in self.lineages if "--manual" in lineage.flags)

    def manual_calls(self) -> list[tuple[str, str]]:
        if not self.manual_log.exists():
            return []
        entries = [json.loads(line) for line in self.manual_log.read_text().splitlines()]
        return [(e["stage"], e["env"]["CERTBOT_DOMAIN"]) for e in entries]

    def clear_logs(self) -> None:
        self.hooks.clear()
        self.manual_log.unlink(missing_ok=True)


def _make_round_trip(run, certbot, pebble, tmp_path, prefix: str):
    """Lineages named PREFIX-*.example.com (names certbot 2.1 handles, TESTING.md), an nginx on Pebble's
    http-01 port serving the webroot and passing the standalone lineage's requests on to the port its
    standalone server listens on (both kinds of http-01 answered in one `renew`), and the hook scripts."""
    webroot = tmp_path / "webroot"
    webroot.mkdir()
    (standalone_port,) = free_ports(1)
    hooks = HookLog(tmp_path / "hooks.log")
    manual_script = tmp_path / "manual_hook.py"
    manual_script.write_text(MANUAL_HOOK)
    manual_log = tmp_path / "manual.jsonl"
    management = f"http://127.0.0.1:{pebble.challtestsrv_management_port}"

    def manual(stage: str) -> str:
        return f"{sys.executable} {manual_script} {stage} {manual_log} {management}"

    web = Lineage((f"{prefix}-web.example.com", f"www.{prefix}-web.example.com"),
                  ("--webroot", "-w", str(webroot), "--key-type", "rsa", "--rsa-key-size", "2048"), "rsa-2048")
    alone = Lineage((f"{prefix}-alone.example.com",),
                    ("--standalone", "--http-01-port", str(standalone_port), "--key-type", "ecdsa",
                     "--elliptic-curve", "secp384r1"), "ec-secp384r1")
    by_hand = Lineage((f"{prefix}-manual.example.com",),
                      ("--manual", "--manual-auth-hook", manual("auth"), "--manual-cleanup-hook", manual("cleanup"),
                       "--preferred-challenges", "dns", "--key-type", "rsa", "--rsa-key-size", "4096"), "rsa-4096")
    nginx = Nginx(tmp_path / "nginx", pebble.http_port, webroot, proxies={alone.name: standalone_port})
    try:
        nginx.start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    return RoundTrip(run, certbot, [web, alone, by_hand], hooks, manual_log, nginx)


@pytest.fixture
def round_trip_factory(run_certsmith, certbot, pebble, tmp_path):
    made: list[RoundTrip] = []

    def make(prefix: str) -> RoundTrip:
        made.append(_make_round_trip(run_certsmith, certbot, pebble, tmp_path, prefix))
        return made[-1]

    yield make
    for trip in made:
        trip.nginx.stop()


# ----- steps ----------------------------------------------------------------------------------------------------


def _issue(trip: RoundTrip, tool: str, pebble) -> None:
    """Every lineage issued by `tool` with the same certbot-spelled flags, each with its own saved deploy hook."""
    for lineage in trip.lineages:
        args = ["certonly", *lineage.flags, "--server", pebble.directory_url, "--agree-tos",
                "--register-unsafely-without-email", "--deploy-hook", trip.hooks.command(f"saved:{lineage.name}"),
                *[a for d in lineage.domains for a in ("-d", d)]]
        if tool == "certsmith" and "--http-01-port" not in args:
            args += ["--http-01-port", str(pebble.http_port)]  # what the runner would add; explicit here
        result = trip.run(*args) if tool == "certsmith" else trip.certbot(*args)
        assert result.returncode == 0, f"{tool} could not issue {lineage.name}:\n{describe(result)}"
        _check_quiet(result, tool, f"issuance of {lineage.name}")


def _renew(trip: RoundTrip, tool: str, step: str) -> None:
    """`renew --force-renewal` by `tool`, with nothing but what the renewal confs saved."""
    if tool == "certsmith":
        result = trip.run("renew", "--force-renewal")
        assert result.returncode == 0, describe(result)
        assert result.stdout.splitlines()[-1] == f"{len(trip.lineages)} renewed, 0 not due, 0 failed.", \
            describe(result)
    else:
        result = trip.certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
        assert result.returncode == 0, describe(result)
        assert "all renewals succeeded" in result.stdout.lower() + result.stderr.lower(), describe(result)
    _check_quiet(result, tool, step)


# ----- checks ---------------------------------------------------------------------------------------------------


def _check_quiet(result, tool: str, step: str) -> None:
    """No complaint about the tree: certbot neither finds a conf invalid nor doubts its version ("... renewal
    configuration file ... This might not work"), nor crashes; certsmith prints no warning."""
    text = (result.stdout + result.stderr).lower()
    words = ("invalid", "might not work", "traceback") if tool == "certbot" else ("invalid", "warning")
    assert not [word for word in words if word in text], f"after {step}, {tool} complains:\n{describe(result)}"


def _listing(trip: RoundTrip, tool: str, step: str) -> str:
    result = trip.run("certificates") if tool == "certsmith" else trip.certbot("certificates")
    assert result.returncode == 0, describe(result)
    _check_quiet(result, tool, step)
    return result.stdout


def _check_listings(trip: RoundTrip, step: str) -> None:
    """Both tools list the same lineages with the same domains, expiry and live/ paths (and serial and key
    type); the expiry is the certificate's notAfter as certbot prints it."""
    listed_by_certbot = _listing(trip, "certbot", step)
    listed_by_certsmith = _listing(trip, "certsmith", step)
    by_certbot = parse_certificates_listing(listed_by_certbot)
    by_certsmith = parse_certificates_listing(listed_by_certsmith)
    assert by_certsmith == by_certbot, f"after {step}: listings differ\ncertbot: {by_certbot}\n" \
                                       f"certsmith: {by_certsmith}"
    assert certificates_listing_fields(listed_by_certsmith) == certificates_listing_fields(listed_by_certbot), \
        f"after {step}:\n--- certbot ---\n{listed_by_certbot}\n--- certsmith ---\n{listed_by_certsmith}"
    assert sorted(by_certbot) == sorted(lineage.name for lineage in trip.lineages), step
    for lineage in trip.lineages:
        domains, expiry, cert_path, key_path = by_certbot[lineage.name]
        live = trip.live(lineage)
        assert sorted(domains) == sorted(lineage.domains), step
        assert cert_path == str(live / "fullchain.pem"), step
        assert key_path == str(live / "privkey.pem"), step
        assert dt.datetime.fromisoformat(expiry) == not_after(live / "cert.pem"), f"after {step}: {expiry}"


def _check_tree(trip: RoundTrip, version: int, saved: dict[str, dict], account: str, step: str) -> None:
    """archive/ holds versions 1..VERSION of all four files, live/ points at VERSION and is consistent, the key is
    still of the saved type and size, and the renewal conf keeps what was saved."""
    for lineage in trip.lineages:
        live = trip.live(lineage)
        assert archive_versions(trip.run.config_dir, lineage.name) == {
            stem: list(range(1, version + 1)) for stem in LIVE_FILES}, f"after {step}: {lineage.name}"
        assert live_version(live) == version, f"after {step}: {lineage.name}"
        assert lineage_problems(trip.run.config_dir, lineage.name) == [], step
        assert key_shape(live / "privkey.pem") == lineage.key, f"after {step}: {lineage.name}"
        conf = parse_renewal_conf(trip.run.config_dir / "renewal" / f"{lineage.name}.conf")
        params = conf["renewalparams"]
        assert _kept_params(params) == saved[lineage.name]["params"], \
            f"after {step}: {lineage.name}'s renewal conf changed"
        assert params.get("webroot_map") == saved[lineage.name]["webroot_map"], step
        assert params["account"] == account, step
        assert conf["archive_dir"] == str(trip.run.config_dir / "archive" / lineage.name), step
        for stem in LIVE_FILES:
            assert conf[stem] == str(live / f"{stem}.pem"), step
    accounts = sorted(p.name for p in (trip.run.config_dir / "accounts").rglob("*") if p.name == "regr.json")
    assert len(accounts) == 1, f"after {step}: another account was registered"


def _check_renewal_hooks(trip: RoundTrip, step: str, manual_validations: int) -> None:
    """Each lineage's saved deploy hook and the renewal-hooks/deploy/ executable ran once for it with its
    RENEWED_LINEAGE; the directory pre and post hooks once; the backup and non-executable files never; the
    manual lineage's auth and cleanup hooks once for each challenge Pebble validated in this step (once,
    unless Pebble reused the authorization)."""
    calls = trip.hooks.calls()
    for lineage in trip.lineages:
        live = str(trip.live(lineage))
        saved = [c for c in calls if c.hook == f"saved:{lineage.name}"]
        assert [c.lineage for c in saved] == [live], f"after {step}: saved deploy hook of {lineage.name}: {calls}"
        assert sorted(saved[0].domains.split()) == sorted(lineage.domains), step
    assert sorted(c.lineage for c in calls if c.hook == "dir-deploy") == sorted(
        str(trip.live(lineage)) for lineage in trip.lineages), f"after {step}: {calls}"
    assert [c.hook for c in calls if c.hook in ("dir-pre", "dir-post")] == ["dir-pre", "dir-post"], \
        f"after {step}: {calls}"
    assert not [c for c in calls if c.hook.startswith(("backup-", "disabled-"))], f"after {step}: {calls}"
    manual_name = trip.manual.name
    assert manual_validations <= 1, step
    assert sorted(trip.manual_calls()) == [("auth", manual_name), ("cleanup", manual_name)] * manual_validations, \
        f"after {step}: manual hooks {trip.manual_calls()}, {manual_validations} validations by Pebble"


def _kept_params(params: dict) -> dict:
    """The KEPT_PARAMS of a renewalparams section, a missing key read as certbot's default."""
    return {key: params.get(key, CERTBOT_DEFAULTS.get(key)) for key in KEPT_PARAMS}


def _saved_conf(trip: RoundTrip) -> dict[str, dict]:
    saved = {}
    for lineage in trip.lineages:
        params = parse_renewal_conf(trip.run.config_dir / "renewal" / f"{lineage.name}.conf")["renewalparams"]
        saved[lineage.name] = {"params": _kept_params(params),
                               "webroot_map": params.get("webroot_map")}
    return saved


def _walk(trip: RoundTrip, pebble, tools: list[str]) -> None:
    """tools[0] issues every lineage, each next tool renews them all; the checks run after every step."""
    _issue(trip, tools[0], pebble)
    step = f"issuance by {tools[0]}"
    saved = _saved_conf(trip)
    accounts = {conf["params"]["account"] for conf in saved.values()}
    assert len(accounts) == 1, f"the lineages use different accounts: {saved}"
    (account,) = accounts
    web, alone, by_hand = (saved[lineage.name]["params"] for lineage in trip.lineages)
    assert (web["authenticator"], alone["authenticator"], by_hand["authenticator"]) == (
        "webroot", "standalone", "manual"), saved
    assert [c.lineage for c in trip.hooks.calls()] == [str(trip.live(lineage)) for lineage in trip.lineages], \
        "each certonly runs its deploy hook once"
    _check_listings(trip, step)
    _check_tree(trip, 1, saved, account, step)

    trip.hooks.install_directory_hooks(trip.run.config_dir)
    for version, tool in enumerate(tools[1:], start=2):
        trip.clear_logs()
        manual_before = pebble.validations(trip.manual.name)
        step = f"renewal {version - 1} by {tool}"
        _renew(trip, tool, step)
        _check_renewal_hooks(trip, step, pebble.validations(trip.manual.name) - manual_before)
        _check_listings(trip, step)
        _check_tree(trip, version, saved, account, step)
    assert any("/.well-known/acme-challenge/" in line for line in trip.nginx.access_lines())


def test_certbot_lineages_renewed_by_certsmith_then_certbot_then_certsmith(round_trip_factory, pebble):
    _walk(round_trip_factory("cb"), pebble, ["certbot", "certsmith", "certbot", "certsmith"])


def test_certsmith_lineages_renewed_by_certbot_then_certsmith(round_trip_factory, pebble):
    _walk(round_trip_factory("cs"), pebble, ["certsmith", "certbot", "certsmith"])
