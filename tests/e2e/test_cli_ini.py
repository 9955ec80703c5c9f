"""A certbot user keeps their cli.ini: `-c FILE`, ~/.config/letsencrypt/cli.ini (XDG_CONFIG_HOME) and
/etc/letsencrypt/cli.ini settings apply as certbot's flags would, the command line wins, unknown keys warn,
a malformed file fails in one line before anything is written."""

from __future__ import annotations

import pytest

from conftest import describe
from hook_log import HookLog
from inspect_tree import conf_list, key_shape, lineage_problems, live_version, parse_renewal_conf, sans
from nginx_env import Nginx
from pebble_env import HarnessError

# certbot 2.1 does not always retry a rejected nonce (TESTING.md): none for the steps it performs.
PEBBLE_OPTIONS = {"nonce_reject": 0}


@pytest.fixture
def nginx_webroot(pebble, tmp_path):
    """A real nginx on Pebble's http-01 port serving tmp/www."""
    webroot = tmp_path / "www"
    webroot.mkdir()
    server = Nginx(tmp_path / "nginx", pebble.http_port, webroot)
    try:
        server.start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


def xdg_cli_ini(run, text: str):
    """Writes the cli.ini certsmith finds through the XDG_CONFIG_HOME the runner sets."""
    path = run.sandbox / "xdg-config" / "letsencrypt" / "cli.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
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
