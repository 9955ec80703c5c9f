"""An admin without a supported DNS provider runs `certonly --manual` with certbot's --manual-auth-hook and
--manual-cleanup-hook: the hooks put the http-01 file or the dns-01 TXT record in place with certbot's
CERTBOT_* environment, cleanup gets the auth hook's output, wildcards go over dns-01, a failing hook is a
clear error that still cleans up, and `renew` repeats the hooks the renewal conf recorded."""

from __future__ import annotations

import http.server
import json
import os
import re
import sys
import threading
from pathlib import Path

import pytest

from conftest import describe
from inspect_tree import conf_list, live_version, parse_renewal_conf, sans

# Pebble validates over IPv4 only, where the test's own HTTP server listens.
# No reused authorizations: a renewal must run the hooks again (as far as Pebble allows: it still reuses one
# now and then, so renewals count its validations).
PEBBLE_OPTIONS = {"default_ipv6": "", "extra_env": {"PEBBLE_AUTHZREUSE": "0"}}

# One script for both hooks: records its environment as a JSON line, then does the work. http-01 (a token
# is set): the key authorization into the served directory; dns-01: the TXT record through
# pebble-challtestsrv's management API. FAIL_AUTH makes the auth hook fail after printing a reason.
HOOK_SCRIPT = r'''
import json, os, sys, urllib.request
stage, log, webroot, management = sys.argv[1:5]
env = {k: v for k, v in os.environ.items() if k.startswith("CERTBOT_")}
with open(log, "a") as f:
    f.write(json.dumps({"stage": stage, "env": env}) + "\n")
domain = env["CERTBOT_DOMAIN"]
token = env.get("CERTBOT_TOKEN")
if stage == "auth" and os.environ.get("FAIL_AUTH"):
    print("the zone of " + domain + " is locked")
    sys.exit(7)
def post(path, body):
    request = urllib.request.Request(management + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()
challenge_dir = os.path.join(webroot, ".well-known", "acme-challenge")
if stage == "auth":
    if token:
        os.makedirs(challenge_dir, exist_ok=True)
        with open(os.path.join(challenge_dir, token), "w") as f:
            f.write(env["CERTBOT_VALIDATION"])
    else:
        post("/set-txt", {"host": "_acme-challenge." + domain + ".", "value": env["CERTBOT_VALIDATION"]})
    print("auth-output-for " + domain)
    print("  ", file=sys.stderr)
else:
    if token:
        os.remove(os.path.join(challenge_dir, token))
    else:
        post("/clear-txt", {"host": "_acme-challenge." + domain + "."})
'''


class ChallengeServer:
    """Serves `root` over HTTP on 127.0.0.1:port, where Pebble validates http-01."""

    def __init__(self, root: Path, port: int):
        handler = lambda *args, **kwargs: http.server.SimpleHTTPRequestHandler(  # noqa: E731
            *args, directory=str(root), **kwargs)
        http.server.SimpleHTTPRequestHandler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hooks:
    """The hook script of one test, its log, and the directory it serves challenge files from."""

    def __init__(self, directory: Path, management_port: int):
        self.script = directory / "hook.py"
        self.script.write_text(HOOK_SCRIPT)
        self.log = directory / "hooks.jsonl"
        self.webroot = directory / "served"
        self.webroot.mkdir()
        self.management = f"http://127.0.0.1:{management_port}"

    def command(self, stage: str) -> str:
        return f"{sys.executable} {self.script} {stage} {self.log} {self.webroot} {self.management}"

    def args(self) -> list[str]:
        return ["--manual", "--manual-auth-hook", self.command("auth"),
                "--manual-cleanup-hook", self.command("cleanup")]

    def calls(self, stage: str | None = None) -> list[dict]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e["env"] for e in entries if stage is None or e["stage"] == stage]

    def challenge_files(self) -> list[Path]:
        directory = self.webroot / ".well-known" / "acme-challenge"
        return sorted(directory.iterdir()) if directory.exists() else []


@pytest.fixture
def hooks(tmp_path, pebble):
    hook_dir = tmp_path / "hooks"
    hook_dir.mkdir()
    result = Hooks(hook_dir, pebble.challtestsrv_management_port)
    server = ChallengeServer(result.webroot, pebble.http_port)
    yield result
    server.stop()


def _certonly(run, hooks: Hooks, *domains: str, extra: tuple = (), env: dict | None = None):
    args = ["certonly", *hooks.args(), "--agree-tos", "--register-unsafely-without-email"]
    for domain in domains:
        args += ["-d", domain]
    return run(*args, *extra, env=env)


def _check_auth_and_cleanup(hooks: Hooks, domains: list[str], expected_type: str) -> None:
    auths, cleanups = hooks.calls("auth"), hooks.calls("cleanup")
    assert sorted(a["CERTBOT_DOMAIN"] for a in auths) == sorted(domains)
    # counted down within one batch: len-1, ..., 0
    assert [a["CERTBOT_REMAINING_CHALLENGES"] for a in auths] == [str(n) for n in reversed(range(len(domains)))]
    for auth in auths:
        assert sorted(auth["CERTBOT_ALL_DOMAINS"].split(",")) == sorted(domains)
        assert "CERTBOT_AUTH_OUTPUT" not in auth
        if expected_type == "http-01":
            token = auth["CERTBOT_TOKEN"]
            assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
            assert re.fullmatch(re.escape(token) + r"\.[A-Za-z0-9_-]{43}", auth["CERTBOT_VALIDATION"])
        else:
            assert "CERTBOT_TOKEN" not in auth
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", auth["CERTBOT_VALIDATION"])
    # cleanup: the same values for the same challenge, plus the auth hook's output stripped
    assert len(cleanups) == len(auths)
    for cleanup in cleanups:
        auth = next(a for a in auths if a["CERTBOT_VALIDATION"] == cleanup["CERTBOT_VALIDATION"])
        assert cleanup["CERTBOT_DOMAIN"] == auth["CERTBOT_DOMAIN"]
        assert cleanup.get("CERTBOT_TOKEN") == auth.get("CERTBOT_TOKEN")
        assert cleanup["CERTBOT_AUTH_OUTPUT"] == f"auth-output-for {auth['CERTBOT_DOMAIN']}"


def test_manual_http01_hooks_get_certbot_environment_and_are_saved(run_certsmith, hooks):
    run = run_certsmith
    domains = ["a.manual-http.example", "b.manual-http.example"]
    result = _certonly(run, hooks, *domains, extra=("--preferred-challenges", "http"))
    assert result.returncode == 0, describe(result)

    _check_auth_and_cleanup(hooks, domains, "http-01")
    assert hooks.challenge_files() == []  # the cleanup hook removed them
    live = run.config_dir / "live" / domains[0]
    assert sans(live / "cert.pem") == set(domains)
    params = parse_renewal_conf(run.config_dir / "renewal" / f"{domains[0]}.conf")["renewalparams"]
    assert params["authenticator"] == "manual"
    assert params["manual_auth_hook"] == hooks.command("auth")
    assert params["manual_cleanup_hook"] == hooks.command("cleanup")
    assert conf_list(params["pref_challs"]) == ["http-01"]
    assert "http01_port" not in params


def test_manual_dns01_wildcard_gets_the_base_domain(run_certsmith, hooks):
    run = run_certsmith
    result = _certonly(run, hooks, "manual-dns.example", "*.manual-dns.example",
                       extra=("--preferred-challenges", "dns-01"))
    assert result.returncode == 0, describe(result)

    # certbot passes a wildcard's base domain: both challenges are for manual-dns.example
    _check_auth_and_cleanup(hooks, ["manual-dns.example", "manual-dns.example"], "dns-01")
    validations = {a["CERTBOT_VALIDATION"] for a in hooks.calls("auth")}
    assert len(validations) == 2
    assert sans(run.config_dir / "live" / "manual-dns.example" / "cert.pem") == {
        "manual-dns.example", "*.manual-dns.example"}
    params = parse_renewal_conf(run.config_dir / "renewal" / "manual-dns.example.conf")["renewalparams"]
    assert conf_list(params["pref_challs"]) == ["dns-01"]


def test_manual_default_order_is_http_then_dns_for_a_wildcard(run_certsmith, hooks):
    run = run_certsmith
    result = _certonly(run, hooks, "mixed.example", "*.mixed.example")
    assert result.returncode == 0, describe(result)
    auths = hooks.calls("auth")
    assert len(auths) == 2
    http = [a for a in auths if "CERTBOT_TOKEN" in a]
    dns = [a for a in auths if "CERTBOT_TOKEN" not in a]
    assert len(http) == 1 and len(dns) == 1  # the base name over http-01, the wildcard over dns-01
    assert http[0]["CERTBOT_DOMAIN"] == dns[0]["CERTBOT_DOMAIN"] == "mixed.example"
    assert len(hooks.calls("cleanup")) == 2
    assert hooks.challenge_files() == []


def test_failing_auth_hook_is_a_clear_error_and_cleanup_still_runs(run_certsmith, hooks):
    run = run_certsmith
    result = _certonly(run, hooks, "fails.manual.example", env={"FAIL_AUTH": "1"})
    assert result.returncode == 5, describe(result)
    lines = result.stderr.strip().splitlines()
    error_lines = [line for line in lines if line.startswith("certsmith: error:")]
    assert len(error_lines) == 1, describe(result)
    assert "fails.manual.example" in error_lines[0]
    assert "--manual-auth-hook failed: exit status 7" in error_lines[0]
    assert "is locked" in error_lines[0]
    assert len(hooks.calls("auth")) == 1
    cleanups = hooks.calls("cleanup")
    assert len(cleanups) == 1 and cleanups[0]["CERTBOT_DOMAIN"] == "fails.manual.example"
    assert not (run.config_dir / "live" / "fails.manual.example").exists()
    assert not (run.config_dir / "renewal" / "fails.manual.example.conf").exists()


def _renew_auths(run, hooks: Hooks, pebble, name: str, *extra: str) -> list[dict]:
    """Forces the renewal of NAME's lineage; the auth hook calls it made, checked to be one auth and one cleanup
    for each challenge Pebble validated: one, or none when Pebble reused the authorization (it does now and
    then even at PEBBLE_AUTHZREUSE=0, see PebbleEnv.validations)."""
    auths_before, cleanups_before = len(hooks.calls("auth")), len(hooks.calls("cleanup"))
    validated_before = pebble.validations(name)
    result = run("renew", "--force-renewal", *extra)
    assert result.returncode == 0, describe(result)
    validated = pebble.validations(name) - validated_before
    assert validated <= 1
    auths = hooks.calls("auth")[auths_before:]
    assert len(auths) == validated and len(hooks.calls("cleanup")) - cleanups_before == validated, \
        f"{hooks.calls()}, {validated} validations by Pebble"
    return auths


def test_renew_repeats_the_manual_hooks_from_the_conf(run_certsmith, hooks, pebble):
    run, name = run_certsmith, "renew.manual.example"
    result = _certonly(run, hooks, name, extra=("--preferred-challenges", "http-01"))
    assert result.returncode == 0, describe(result)
    assert len(hooks.calls("auth")) == pebble.validations(name) == 1

    auths = _renew_auths(run, hooks, pebble, name)
    assert all("CERTBOT_TOKEN" in auth for auth in auths)  # pref_challs = http-01 repeated
    assert live_version(run.config_dir / "live" / name) == 2

    # --preferred-challenges overrides the conf's for this renewal (and is saved), like certbot
    auths = _renew_auths(run, hooks, pebble, name, "--preferred-challenges", "dns")
    assert all("CERTBOT_TOKEN" not in auth for auth in auths)
    params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
    assert conf_list(params["pref_challs"]) == ["dns-01"]
    assert params["manual_auth_hook"] == hooks.command("auth")


@pytest.mark.parametrize("args, expected", [
    (("--standalone", "-d", "*.refused.example"), "a CA validates wildcards only over dns-01"),
    (("--manual", "--manual-auth-hook", "true", "--preferred-challenges", "http", "-d", "*.refused.example"),
     "--preferred-challenges leaves out"),
    (("--webroot", "-w", "/tmp", "--preferred-challenges", "dns", "-d", "refused.example"),
     "none of the preferred challenges"),
    (("--manual", "--manual-auth-hook", "true", "--preferred-challenges", "dns-42\x1b[2J", "-d", "refused.example"),
     "unrecognized challenge"),
    (("--manual", "-d", "refused.example"), "needs --manual-auth-hook"),
])
def test_unanswerable_challenges_are_refused_before_anything_is_sent(run_certsmith, args, expected):
    run = run_certsmith
    result = run("certonly", "--agree-tos", "--register-unsafely-without-email", *args)
    assert result.returncode == 2, describe(result)
    assert result.stderr.startswith("certsmith: error:"), describe(result)
    assert expected in result.stderr, describe(result)
    assert "\x1b" not in result.stderr
    assert not (run.config_dir / "accounts").exists()  # not even an account was registered
    assert not (run.config_dir / "renewal").exists() or not list((run.config_dir / "renewal").iterdir())
