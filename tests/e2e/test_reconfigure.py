"""A user changes how a certificate renews without issuing one (certbot 2.3+'s `reconfigure`): the new
settings are proven by a dry run before they are saved, and a failed proof leaves the conf as it was."""

from __future__ import annotations

import pytest

from conftest import describe
from hook_log import HookLog
from inspect_tree import conf_list, key_description, live_version, parse_renewal_conf
from nginx_env import Nginx
from pebble_env import HarnessError

# A reused authorization needs no challenge: the dry run would prove nothing about a new authenticator. Pebble
# still reuses one now and then, so the checks count its validations.
PEBBLE_OPTIONS = {"extra_env": {"PEBBLE_AUTHZREUSE": "0"}}


@pytest.fixture
def start_nginx(pebble, tmp_path):
    """start_nginx() -> a running nginx on Pebble's http-01 port serving tmp/www (started on demand, since
    the standalone issuance before it needs the port)."""
    servers = []

    def start() -> Nginx:
        webroot = tmp_path / "www"
        webroot.mkdir(exist_ok=True)
        server = Nginx(tmp_path / "nginx", pebble.http_port, webroot)
        try:
            server.start()
        except HarnessError as e:
            pytest.fail(str(e), pytrace=False)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def issue_standalone(run, name: str, *extra: str) -> None:
    result = run.certonly(name, extra=extra)
    assert result.returncode == 0, describe(result)


def conf_path(run, name: str):
    return run.config_dir / "renewal" / f"{name}.conf"


def params_of(run, name: str) -> dict:
    return parse_renewal_conf(conf_path(run, name))["renewalparams"]


def challenge_fetches(server: Nginx) -> int:
    return len([line for line in server.access_lines()
                if "/.well-known/acme-challenge/" in line and '" 200 ' in line])


def _webroot_step(run, pebble, nginx: Nginx, name: str, *args: str):
    """Runs certsmith ARGS, which must succeed, and returns its result. Pebble validated NAME once meanwhile,
    or not at all when it reused the authorization (it does now and then even at PEBBLE_AUTHZREUSE=0, see
    PebbleEnv.validations); nginx served each of Pebble's http-01 requests, and only those."""
    validated_before, pebble_fetches_before = pebble.validations(name), pebble.http01_fetches(name)
    served_before = challenge_fetches(nginx)
    result = run(*args)
    assert result.returncode == 0, describe(result)
    validated = pebble.validations(name) - validated_before
    pebble_fetches = pebble.http01_fetches(name) - pebble_fetches_before
    assert validated <= 1 and (pebble_fetches > 0) == (validated == 1), pebble_fetches
    assert challenge_fetches(nginx) - served_before == pebble_fetches, "\n".join(nginx.access_lines())
    return result


def test_standalone_to_webroot_is_proven_through_nginx_then_renew_uses_it(run_certsmith, start_nginx, pebble):
    run, name = run_certsmith, "reconf-web.example.com"
    issue_standalone(run, name)
    assert params_of(run, name)["authenticator"] == "standalone"

    nginx = start_nginx()
    result = _webroot_step(run, pebble, nginx, name, "reconfigure", "--cert-name", name, "--webroot", "-w",
                           str(nginx.root))
    assert "Successfully updated configuration." in result.stdout, describe(result)
    params = params_of(run, name)
    assert params["authenticator"] == "webroot"
    assert conf_list(params["webroot_path"]) == [str(nginx.root)]
    assert params["webroot_map"] == {name: str(nginx.root)}
    # The proof went through nginx (_webroot_step), and nothing was issued into the lineage.
    assert live_version(run.config_dir / "live" / name) == 1

    # renew uses the webroot: nginx answers what Pebble asks
    _webroot_step(run, pebble, nginx, name, "renew", "--force-renewal")
    assert live_version(run.config_dir / "live" / name) == 2


def test_changed_hooks_are_saved_and_run_by_the_next_renewal(run_certsmith, tmp_path):
    run, name = run_certsmith, "reconf-hooks.example.com"
    issue_standalone(run, name, "--deploy-hook", "true")
    hooks = HookLog(tmp_path / "hooks.log")
    result = run("reconfigure", "--cert-name", name, "--pre-hook", hooks.command("pre"),
                 "--post-hook", hooks.command("post"), "--deploy-hook", hooks.command("deploy"))
    assert result.returncode == 0, describe(result)
    params = params_of(run, name)
    assert params["pre_hook"] == hooks.command("pre")
    assert params["post_hook"] == hooks.command("post")
    assert params["renew_hook"] == hooks.command("deploy")
    # certbot's dry run: pre and post hooks run, deploy hooks do not.
    assert hooks.hooks() == ["pre", "post"], hooks.calls()

    hooks.clear()
    result = run("reconfigure", "--cert-name", name, "--post-hook", hooks.command("post2"),
                 "--run-deploy-hooks")
    assert result.returncode == 0, describe(result)
    assert hooks.hooks() == ["pre", "deploy", "post2"], hooks.calls()

    hooks.clear()
    result = run("renew", "--force-renewal")
    assert result.returncode == 0, describe(result)
    assert hooks.hooks() == ["pre", "deploy", "post2"], hooks.calls()


def test_key_type_change_makes_the_next_renewal_use_an_rsa_key(run_certsmith):
    run, name = run_certsmith, "reconf-key.example.com"
    issue_standalone(run, name, "--key-type", "ecdsa")
    privkey = run.config_dir / "live" / name / "privkey.pem"
    assert "ASN1 OID: prime256v1" in key_description(privkey)

    result = run("reconfigure", "--cert-name", name, "--key-type", "rsa", "--rsa-key-size", "3072")
    assert result.returncode == 0, describe(result)
    params = params_of(run, name)
    assert params["key_type"] == "rsa" and params["rsa_key_size"] == "3072"
    assert "ASN1 OID: prime256v1" in key_description(privkey), "reconfigure must not issue"

    result = run("renew", "--force-renewal")
    assert result.returncode == 0, describe(result)
    assert "Private-Key: (3072 bit" in key_description(privkey)


def test_failed_dry_run_leaves_the_conf_byte_for_byte(run_certsmith, pebble, tmp_path):
    run, name = run_certsmith, "reconf-fail.example.com"
    issue_standalone(run, name)
    conf = conf_path(run, name)
    with conf.open("a") as f:
        f.write("# a comment the user wrote\n")
    original = conf.read_bytes()
    unserved = tmp_path / "not-served"
    unserved.mkdir()

    # Nothing listens on the http-01 port: the webroot is not served.
    created_before, validated_before = pebble.authorizations_created(), pebble.validations(name)
    result = run("reconfigure", "--cert-name", name, "--webroot", "-w", str(unserved))
    if pebble.authorizations_created() == created_before:
        pytest.skip("Pebble reused the valid authorization (see PebbleEnv.validations): the dry run needed no "
                    "challenge")
    assert pebble.validations(name) - validated_before == 1  # Pebble tried the new authorization's challenge
    assert result.returncode != 0, describe(result)
    assert conf.read_bytes() == original
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error: ")]
    assert len(errors) == 1, describe(result)
    assert "dry run with the new settings failed" in result.stderr, describe(result)
    assert live_version(run.config_dir / "live" / name) == 1


def test_unknown_keys_and_comments_survive(run_certsmith):
    run, name = run_certsmith, "reconf-keep.example.com"
    issue_standalone(run, name)
    conf = conf_path(run, name)
    text = conf.read_text().replace("[renewalparams]", "[renewalparams]\n# keep this comment\nfuture_key = 42")
    conf.write_text(text)
    result = run("reconfigure", "--cert-name", name, "--preferred-chain", "Pebble Root")
    assert result.returncode == 0, describe(result)
    after = conf.read_text()
    assert "# keep this comment\nfuture_key = 42" in after
    assert params_of(run, name)["preferred_chain"] == "Pebble Root"


def test_nothing_to_change_runs_nothing(run_certsmith):
    run, name = run_certsmith, "reconf-same.example.com"
    issue_standalone(run, name)
    original = conf_path(run, name).read_bytes()
    result = run("reconfigure", "--cert-name", name, "--standalone")
    assert result.returncode == 0, describe(result)
    assert "nothing changed" in result.stdout, describe(result)
    assert conf_path(run, name).read_bytes() == original


def test_unknown_cert_name_is_refused(run_certsmith):
    result = run_certsmith("reconfigure", "--cert-name", "never-issued.example.com", "--standalone")
    assert result.returncode == 2, describe(result)
    assert result.stderr.strip().splitlines() == [
        "certsmith: error: no certificate named 'never-issued.example.com' (see certsmith certificates)"]


def test_missing_cert_name_is_refused(run_certsmith):
    result = run_certsmith("reconfigure", "--standalone")
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs --cert-name" in lines[0], describe(result)
    assert not (run_certsmith.config_dir / "renewal").exists()


def test_a_reused_key_changes_kind_only_with_new_key(run_certsmith):
    """certbot's _avoid_reuse_key_conflicts, as certonly applies it: with reuse_key set, another curve needs
    --new-key; --reuse-key --new-key saves it, the next renewal makes a P-384 key and the one after reuses it."""
    run, name = run_certsmith, "reconf-reuse.example.com"
    issue_standalone(run, name, "--reuse-key")
    original = conf_path(run, name).read_bytes()

    refused = run("reconfigure", "--cert-name", name, "--elliptic-curve", "secp384r1")
    assert refused.returncode == 2, describe(refused)
    line, = refused.stderr.strip().splitlines()
    assert "--elliptic-curve" in line and "--reuse-key" in line and "--new-key" in line, line
    assert conf_path(run, name).read_bytes() == original

    changed = run("reconfigure", "--cert-name", name, "--elliptic-curve", "secp384r1", "--reuse-key", "--new-key")
    assert changed.returncode == 0, describe(changed)
    params = params_of(run, name)
    assert params["elliptic_curve"] == "secp384r1" and params["reuse_key"] == "True", params

    archive = run.config_dir / "archive" / name
    assert run("renew", "--force-renewal").returncode == 0
    assert "NIST CURVE: P-384" in key_description(archive / "privkey2.pem")
    assert run("renew", "--force-renewal").returncode == 0
    assert (archive / "privkey3.pem").read_bytes() == (archive / "privkey2.pem").read_bytes()
