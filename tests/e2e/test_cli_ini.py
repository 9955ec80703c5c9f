"""A certbot user keeps their cli.ini: `-c FILE`, ~/.config/letsencrypt/cli.ini (XDG_CONFIG_HOME) and
/etc/letsencrypt/cli.ini settings apply as certbot's flags would, the command line wins, unknown keys warn,
a malformed file fails in one line before anything is written."""

from __future__ import annotations

import subprocess

import pytest

from conftest import RUN_TIMEOUT, describe
from hook_log import HookLog
from inspect_tree import conf_list, key_shape, lineage_problems, live_version, parse_renewal_conf, sans

# certbot 2.1 does not always retry a rejected nonce (TESTING.md): none for the steps it performs.
PEBBLE_OPTIONS = {"nonce_reject": 0}


def xdg_cli_ini(run, text: str):
    """Writes the cli.ini certsmith finds through the XDG_CONFIG_HOME the runner sets."""
    path = run.sandbox / "xdg-config" / "letsencrypt" / "cli.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def system_cli_ini(run, text: str):
    """Writes the cli.ini certsmith reads in /etc/letsencrypt's place (CERTSMITH_SYSTEM_CLI_INI)."""
    path = run.system_cli_ini
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "cli.ini" in line or ".ini:" in line]


def test_c_file_issues_rsa_3072_through_nginx_webroot(run_certsmith, pebble, nginx_webroot, tmp_path):
    run = run_certsmith
    name = "ini-web.example.com"
    ini = tmp_path / "my.ini"
    ini.write_text("# what I used to pass to certbot\n"
                   "email = cli-ini@example.com\n"
                   "rsa-key-size = 3072\n"
                   "key-type: rsa\n"
                   "authenticator = webroot\n"
                   f"webroot-path = {nginx_webroot.root}\n"
                   "agree-tos = True\n")
    result = run("certonly", "-d", name, "-c", str(ini))
    assert result.returncode == 0, describe(result)
    assert warnings_of(result) == [], describe(result)

    live = run.config_dir / "live" / name
    assert sans(live / "cert.pem") == {name}
    assert key_shape(live / "privkey.pem") == "rsa-3072"
    fetched = [line for line in nginx_webroot.access_lines() if "/.well-known/acme-challenge/" in line]
    assert any('" 200 ' in line for line in fetched), "\n".join(nginx_webroot.access_lines())
    params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
    assert params["authenticator"] == "webroot"
    assert params["key_type"] == "rsa"
    assert params["rsa_key_size"] == "3072"
    assert params["webroot_map"] == {name: str(nginx_webroot.root)}
    assert conf_list(params["webroot_path"]) == [str(nginx_webroot.root)]
    shown = run("show_account")
    assert "  Email contact: cli-ini@example.com" in shown.stdout.splitlines(), describe(shown)

    # The command line beats the file.
    other = "ini-web2.example.com"
    result = run("certonly", "-d", other, "-c", str(ini), "--rsa-key-size", "2048")
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / other / "privkey.pem") == "rsa-2048"
    params = parse_renewal_conf(run.config_dir / "renewal" / f"{other}.conf")["renewalparams"]
    assert params["rsa_key_size"] == "2048"
    assert params["authenticator"] == "webroot"


def test_xdg_cli_ini_is_read_and_c_beats_it(run_certsmith, pebble, tmp_path):
    run = run_certsmith
    xdg_cli_ini(run, "key-type = rsa\nrsa-key-size = 4096\nagree-tos\n"
                     "register-unsafely-without-email = yes\nauthenticator: standalone\n")
    result = run("certonly", "-d", "xdg.example.com")
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "xdg.example.com" / "privkey.pem") == "rsa-4096"

    ini = tmp_path / "c.ini"
    ini.write_text("rsa-key-size = 3072\n")
    result = run("certonly", "-d", "xdg-c.example.com", "--config", str(ini))
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "xdg-c.example.com" / "privkey.pem") == "rsa-3072"


def test_home_config_is_read_when_xdg_config_home_is_unset(run_certsmith, pebble, tmp_path):
    run = run_certsmith
    home = tmp_path / "home"
    (home / ".config" / "letsencrypt").mkdir(parents=True)
    (home / ".config" / "letsencrypt" / "cli.ini").write_text(
        "key-type = rsa\nagree-tos\nregister-unsafely-without-email\nstandalone\n")
    result = run("certonly", "-d", "home.example.com", env={"XDG_CONFIG_HOME": None, "HOME": str(home)})
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "home.example.com" / "privkey.pem") == "rsa-2048"


def test_unknown_key_warns_naming_file_and_line_and_the_run_goes_on(run_certsmith, pebble, tmp_path):
    run = run_certsmith
    ini = tmp_path / "c.ini"
    ini.write_text("agree-tos\n# certbot plugin we do not have\nno-such-plugin-flag = 1\n"
                   "register-unsafely-without-email\n")
    result = run("certonly", "--standalone", "-d", "unknown-key.example.com", "-c", str(ini))
    assert result.returncode == 0, describe(result)
    assert warnings_of(result) == [
        f"{ini}:3: ignoring unknown setting 'no-such-plugin-flag' (not a certsmith flag)"], describe(result)
    assert (run.config_dir / "live" / "unknown-key.example.com" / "fullchain.pem").is_file()
    assert lineage_problems(run.config_dir, "unknown-key.example.com") == []
    # The warning is in the log too.
    assert "no-such-plugin-flag" in (run.logs_dir / "letsencrypt.log").read_text()


@pytest.mark.parametrize("text, line, what", [
    ("agree-tos\n= value\n", 2, "not a setting"),
    ("agree-tos = maybe\n", 1, "agree-tos: a flag: expected true, false"),
    ("rsa-key-size\n", 1, "rsa-key-size: needs a value"),
    ("email = [a@example.com, b@example.com]\n", 1, "email: takes one value, not a list"),
    ("email = a@example.com\nemail = b\0c\n", 2, "a NUL byte"),
])
def test_malformed_cli_ini_fails_in_one_line_and_writes_nothing(run_certsmith, pebble, tmp_path, text, line,
                                                                  what):
    run = run_certsmith
    ini = tmp_path / "bad.ini"
    ini.write_bytes(text.encode())
    result = run("certonly", "--standalone", "-d", "bad-ini.example.com", "-c", str(ini), check_tree=False)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"certsmith: error: {ini}:{line}: {what}"), describe(result)
    for directory in (run.config_dir, run.work_dir, run.logs_dir):
        assert not directory.exists(), f"{directory} was written"


def test_missing_or_oversized_c_file_fails_before_anything_is_written(run_certsmith, pebble, tmp_path):
    run = run_certsmith
    missing = tmp_path / "missing.ini"
    result = run("certonly", "--standalone", "-d", "x.example.com", "-c", str(missing), check_tree=False)
    assert result.returncode == 2, describe(result)
    assert result.stderr.splitlines() == [
        f"certsmith: error: cannot read cli.ini {missing}: No such file or directory"], describe(result)
    huge = tmp_path / "huge.ini"
    huge.write_text("#" * (1024 * 1024 + 1))
    result = run("certonly", "--standalone", "-d", "x.example.com", "-c", str(huge), check_tree=False)
    assert result.returncode == 2, describe(result)
    assert "larger than 1048576 bytes" in result.stderr, describe(result)
    for directory in (run.config_dir, run.work_dir, run.logs_dir):
        assert not directory.exists(), f"{directory} was written"


def test_hostile_value_is_plain_text_never_run_by_a_shell(run_certsmith, pebble, tmp_path):
    run = run_certsmith
    marker = tmp_path / "pwned"
    ini = tmp_path / "c.ini"
    ini.write_text(f"agree-tos\nemail = $(touch {marker})\n")
    result = run("certonly", "--standalone", "-d", "hostile-ini.example.com", "-c", str(ini), check_tree=False)
    assert result.returncode == 2, describe(result)
    assert result.stderr.startswith("certsmith: error: "), describe(result)
    assert "email" in result.stderr.splitlines()[0], describe(result)
    assert not marker.exists()
    assert not (run.config_dir / "live").exists()


def test_certbot_tree_renews_with_cli_ini_settings(run_certsmith, certbot, pebble, tmp_path):
    """The issue's check: certbot made the lineage; the user's cli.ini holds a deploy hook (and domains, which
    renew ignores as certbot does): certsmith's renewal runs the hook and records it as certbot would."""
    run = run_certsmith
    name = "ini-renew.example.com"
    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "--agree-tos", "--register-unsafely-without-email", "-d", name)
    assert issued.returncode == 0, describe(issued)
    live = run.config_dir / "live" / name

    hooks = HookLog(tmp_path / "hooks.log")
    xdg_cli_ini(run, "# the hook used to be in certbot's cli.ini\n"
                     f"deploy-hook = {hooks.command('ini-deploy')}\n"
                     "domains = not-this-one.example.com\n"
                     "max-log-backups = 0\n")
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    assert warnings_of(renewed) == [], describe(renewed)
    assert renewed.stdout.splitlines()[-1] == "1 renewed, 0 not due, 0 failed.", describe(renewed)
    assert live_version(live) == 2
    assert sans(live / "cert.pem") == {name}
    assert [(c.hook, c.lineage) for c in hooks.calls()] == [("ini-deploy", str(live))]
    params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
    assert params["renew_hook"] == hooks.command("ini-deploy")
    assert not (run.config_dir / "live" / "not-this-one.example.com").exists()
    assert lineage_problems(run.config_dir, name) == []

    # certbot reads the same XDG file (its environment is the runner's) and the tree it gets back.
    again = certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert again.returncode == 0, describe(again)
    assert live_version(live) == 3
    assert [c.hook for c in hooks.calls()] == ["ini-deploy", "ini-deploy"]


def test_comma_lists_with_spaces_as_certbot_strips_them(run_certsmith, pebble):
    """-d "a, b" and cli.ini's `domains = a, b`: certbot strips each item; so does certsmith."""
    run = run_certsmith
    result = run.certonly("spaced-a.example.com, spaced-b.example.com")
    assert result.returncode == 0, describe(result)
    live = run.config_dir / "live" / "spaced-a.example.com"
    assert sans(live / "cert.pem") == {"spaced-a.example.com", "spaced-b.example.com"}

    xdg_cli_ini(run, "domains = ini-a.example.com, ini-b.example.com ,ini-c.example.com\n")
    result = run.certonly()
    assert result.returncode == 0, describe(result)
    assert warnings_of(result) == [], describe(result)
    assert sans(run.config_dir / "live" / "ini-a.example.com" / "cert.pem") == {
        "ini-a.example.com", "ini-b.example.com", "ini-c.example.com"}
    # A space inside a name is still refused, naming it.
    result = run.certonly("bad name.example.com", check_tree=False)
    assert result.returncode == 2, describe(result)
    assert "contains a space" in result.stderr, describe(result)


def test_installer_set_in_cli_ini_is_a_warning_naming_the_line_and_renew_goes_on(run_certsmith, pebble):
    """An ex --nginx user's cli.ini says `installer = nginx`: certsmith renews (it installs nothing either
    way) with one warning naming FILE:LINE, on the terminal and in letsencrypt.log; typed on the command line,
    -i is still refused."""
    run = run_certsmith
    name = "ini-installer.example.com"
    assert run.certonly(name).returncode == 0
    ini = xdg_cli_ini(run, "# left from certbot --nginx\ninstaller = nginx\n")
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    expected = f"{ini}:2: installer is ignored: certsmith installs nothing into a web server"
    assert [line for line in renewed.stderr.splitlines() if line.startswith(expected)] != [], describe(renewed)
    assert live_version(run.config_dir / "live" / name) == 2
    assert expected in (run.logs_dir / "letsencrypt.log").read_text()

    refused = run("renew", "--force-renewal", "-i", "nginx", check_tree=False)
    assert refused.returncode == 2, describe(refused)
    assert "certsmith: error: --installer: certsmith installs nothing" in refused.stderr, describe(refused)
    assert live_version(run.config_dir / "live" / name) == 2


def test_cli_ini_warnings_are_said_before_a_usage_error(run_certsmith, pebble):
    run = run_certsmith
    ini = xdg_cli_ini(run, "no-such-plugin-flag = 1\n")
    result = run("certonly", "--nginx", "-d", "x.example.com", check_tree=False)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.splitlines()
    assert lines[0] == f"{ini}:1: ignoring unknown setting 'no-such-plugin-flag' (not a certsmith flag)", \
        describe(result)
    assert lines[-1].startswith("certsmith: error: --nginx: "), describe(result)


def test_verbose_count_and_unicode_spaces_in_cli_ini(run_certsmith, pebble):
    """`verbose = 2` is -vv as ConfigArgParse makes it; a no-break space around keys and values is
    whitespace, as Python's strip() and regex \\s read it."""
    run = run_certsmith
    xdg_cli_ini(run, "verbose = 2\n")
    result = run("renew")
    assert result.returncode == 0, describe(result)
    assert "started: renew" in result.stderr, describe(result)  # a debug line: -v reached the terminal

    ini = run.sandbox / "nbsp.ini"
    ini.write_text("\u00a0key-type\u00a0=\u00a0rsa\u00a0\nrsa-key-size =\u30003072\u2003# spaced\n"
                   "agree-tos\u00a0\nregister-unsafely-without-email\nstandalone\n", encoding="utf-8")
    result = run("certonly", "-d", "nbsp.example.com", "-c", str(ini))
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "nbsp.example.com" / "privkey.pem") == "rsa-3072"


def test_system_cli_ini_has_the_lowest_precedence(run_certsmith, pebble):
    """/etc/letsencrypt/cli.ini's place, through CERTSMITH_SYSTEM_CLI_INI: it applies, the XDG file beats it,
    and CERTSMITH_SYSTEM_CLI_INI="" reads none."""
    run = run_certsmith
    system_cli_ini(run, "key-type = rsa\nrsa-key-size = 4096\nagree-tos\nregister-unsafely-without-email\n"
                        "standalone\n")
    xdg = xdg_cli_ini(run, "rsa-key-size = 3072\n")
    result = run("certonly", "-d", "sys-xdg.example.com")
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "sys-xdg.example.com" / "privkey.pem") == "rsa-3072"

    xdg.unlink()
    result = run("certonly", "-d", "sys.example.com")
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "sys.example.com" / "privkey.pem") == "rsa-4096"

    result = run.certonly("sys-none.example.com", env={"CERTSMITH_SYSTEM_CLI_INI": ""})
    assert result.returncode == 0, describe(result)
    assert key_shape(run.config_dir / "live" / "sys-none.example.com" / "privkey.pem").startswith("ec-")


def test_server_and_dns_rfc2136_credentials_from_cli_ini(make_runner, bind_pebble, tmp_path):
    """The CA and certbot-dns-rfc2136's credentials file named only in cli.ini: certsmith talks to that CA
    (the command line names none) and updates BIND with those TSIG credentials."""
    bind, ca = bind_pebble
    run = make_runner(ca)
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini")
    xdg_cli_ini(run, f"server = {ca.directory_url}\n"
                     "dns-rfc2136 = true\n"
                     f"dns-rfc2136-credentials = {credentials}\n"
                     "agree-tos\nregister-unsafely-without-email\n")
    argv = run.argv("certonly", "-d", "ini.example.test", "--dns-resolvers", bind.server)
    at = argv.index("--server")
    del argv[at:at + 2]  # the runner's own --server would hide the file's
    result = subprocess.run(argv, cwd=run.sandbox, env=run.environment(), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, describe(result) + bind.log_text()[-3000:]
    assert warnings_of(result) == [], describe(result)
    assert sans(run.config_dir / "live" / "ini.example.test" / "cert.pem") == {"ini.example.test"}
    params = parse_renewal_conf(run.config_dir / "renewal" / "ini.example.test.conf")["renewalparams"]
    assert params["server"] == ca.directory_url
    assert params["authenticator"] == "dns-rfc2136"
    assert params["dns_rfc2136_credentials"] == str(credentials)
    assert "adding an RR at '_acme-challenge.ini.example.test' TXT" in bind.log_text()
