"""A certbot user types certbot's command lines: what certsmith supports works as spelled, installer flags are
refused with a pointer to certonly + --deploy-hook, flags with no effect here warn once, `certbot-flags` lists all."""

from __future__ import annotations

import json
import re

import pytest

from conftest import describe
from inspect_tree import parse_renewal_conf


def listed_groups(stdout: str) -> dict[str, list[str]]:
    """certbot-flags' output: group title word -> the names of its rows."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in stdout.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":")[0]
            groups[current] = []
        elif line.strip() and current:
            spelled = re.split(r"\s{2,}", line.strip())[0].removesuffix(" VALUE")
            groups[current] += [name.strip() for name in spelled.split(",")]
    return groups


def test_certbot_flags_lists_supported_ignored_and_refused(run_certsmith):
    result = run_certsmith("certbot-flags", dirs=False)
    assert result.returncode == 0, describe(result)
    groups = listed_groups(result.stdout)
    assert set(groups) == {"Supported", "Ignored", "Refused"}, result.stdout
    assert {"-d", "--domains", "-m", "-w", "-n", "-q", "-v", "-c", "-a", "--webroot-map"} <= set(groups["Supported"])
    assert {"--debug", "-t", "--text"} <= set(groups["Ignored"])
    assert {"--nginx", "--apache", "-i", "--installer", "run", "install", "--dns-cloudflare"} <= set(groups["Refused"])


def test_every_supported_flag_is_accepted_by_the_binary(run_certsmith):
    """The table's "supported" must be what cli/options.cpp registers: CLI11 would call an unregistered flag
    "not expected" or an "unknown flag" (a registered one may still complain about its missing or dummy value)."""
    groups = listed_groups(run_certsmith("certbot-flags", dirs=False).stdout)
    subcommands = [name for name in groups["Supported"] if not name.startswith("-")]
    flags = [name for name in groups["Supported"] if name.startswith("-") and name not in ("-h", "--help")]
    for name in flags:
        result = run_certsmith("certbot-flags", name, dirs=False)
        assert "not expected" not in result.stderr and "unknown flag" not in result.stderr, \
            f"{name}: {describe(result)}"
    for name in subcommands:
        result = run_certsmith(name, "--help", dirs=False)
        assert result.returncode == 0, f"{name}: {describe(result)}"


@pytest.mark.parametrize("args", [
    ("certonly", "--nginx", "-d", "a.example.com"),
    ("--nginx", "-d", "a.example.com"),
    ("run", "-d", "a.example.com"),
    ("install", "--cert-name", "a.example.com"),
    ("certonly", "-i", "nginx", "--webroot", "-w", "/tmp", "-d", "a.example.com"),
    ("certonly", "--standalone", "--redirect", "-d", "a.example.com"),
    ("-d", "a.example.com"),
])
def test_installer_flags_are_refused_with_the_pointer(run_certsmith, args):
    result = run_certsmith(*args)
    assert result.returncode == 2, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    assert len(errors) == 1, describe(result)
    assert "--deploy-hook" in errors[0] or "--webroot -w" in errors[0], describe(result)
    assert not run_certsmith.config_dir.exists() or not any(run_certsmith.config_dir.iterdir()), describe(result)


def test_certonly_nginx_points_at_webroot(run_certsmith):
    result = run_certsmith("certonly", "--nginx", "-d", "a.example.com")
    assert result.returncode == 2, describe(result)
    assert "--webroot -w" in result.stderr, describe(result)


def test_other_dns_plugins_are_refused(run_certsmith):
    result = run_certsmith("certonly", "--dns-cloudflare", "--dns-cloudflare-credentials", "/x", "-d", "a.example.com")
    assert result.returncode == 2, describe(result)
    assert "--dns-rfc2136" in result.stderr, describe(result)


def test_text_flag_is_silent_and_an_ignored_flag_warns_once(run_certsmith, pebble):
    result = run_certsmith("-t", "certonly", "--standalone", "-d", "text.example.com", "--agree-tos",
                           "--register-unsafely-without-email", "-n", "--server", run_certsmith.server,
                           "--http-01-port", str(pebble.http_port), "--no-self-upgrade")
    assert result.returncode == 0, describe(result)
    assert "warning" not in result.stderr, describe(result)

    result = run_certsmith("certonly", "--standalone", "-d", "text.example.com", "--agree-tos",
                           "--register-unsafely-without-email", "--debug", "--debug")
    assert result.returncode == 0, describe(result)
    warnings = [line for line in result.stderr.splitlines() if "--debug is ignored" in line]
    assert len(warnings) == 1, describe(result)


def test_webroot_map_issues_through_nginx(run_certsmith, nginx_webroot):
    webroot = nginx_webroot.root
    mapping = json.dumps({"map.example.com,www.map.example.com": str(webroot)})
    result = run_certsmith("certonly", "--webroot", "--webroot-map", mapping, "--agree-tos",
                           "--register-unsafely-without-email")
    assert result.returncode == 0, describe(result)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "map.example.com.conf")
    assert conf["renewalparams"]["webroot_map"] == {"map.example.com": str(webroot), "www.map.example.com": str(webroot)}, conf


@pytest.mark.parametrize("mapping", ["[1, 2]", "{not json", '{"a.example.com": 3}', '{"a.example.com": "/x\\n/y"}',
                                     '{"../../etc": "/tmp"}', '{"a.example.com": {"b": "c"}}', "{" * 100000])
def test_hostile_webroot_map_is_refused(run_certsmith, mapping):
    result = run_certsmith("certonly", "--webroot", "--webroot-map", mapping, "--agree-tos",
                           "--register-unsafely-without-email")
    assert result.returncode == 2, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    assert len(errors) == 1, describe(result)
    assert not (run_certsmith.config_dir / "renewal").exists(), describe(result)


def test_no_reuse_key_is_saved_as_false(run_certsmith):
    name = "reuse.example.com"
    result = run_certsmith.certonly(name, extra=("--reuse-key",))
    assert result.returncode == 0, describe(result)
    conf_path = run_certsmith.config_dir / "renewal" / f"{name}.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["reuse_key"] == "True"
    result = run_certsmith("renew", "--force-renewal", "--no-reuse-key", "--cert-name", name)
    assert result.returncode == 0, describe(result)
    assert parse_renewal_conf(conf_path)["renewalparams"]["reuse_key"] == "False"


def test_user_agent_with_a_line_break_is_refused(run_certsmith):
    result = run_certsmith("certonly", "--standalone", "-d", "ua.example.com", "--user-agent", "x\r\nX-Evil: 1")
    assert result.returncode == 2, describe(result)


def test_no_autorenew_is_saved_and_renew_skips_the_lineage(run_certsmith):
    name = "manual-only.example.com"
    result = run_certsmith.certonly(name, extra=("--no-autorenew",))
    assert result.returncode == 0, describe(result)
    conf_path = run_certsmith.config_dir / "renewal" / f"{name}.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["autorenew"] == "False"
