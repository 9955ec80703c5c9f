"""A user obtains a two-name certificate with the standalone http-01 responder."""

from __future__ import annotations

import json
import os

from conftest import describe
from inspect_tree import (LIVE_FILES, key_description, mode, not_after, parse_renewal_conf, pem_blocks,
                          public_key_of_cert, public_key_of_key, sans, serial_hex, verify_chain)

NAMES = ["std-a.example.com", "std-b.example.com"]


def test_standalone_issues_two_name_certificate(run_certsmith, pebble, trust_files):
    result = run_certsmith("certonly", "--standalone", "-d", NAMES[0], "-d", NAMES[1],
                           "-m", "admin@example.com", "--agree-tos")
    assert result.returncode == 0, describe(result)

    config = run_certsmith.config_dir
    name = NAMES[0]
    live = config / "live" / name
    archive = config / "archive" / name

    # What the user is told, in certbot's words.
    cert_date = not_after(live / "cert.pem").strftime("%Y-%m-%d")
    lines = result.stdout.splitlines()
    assert "Successfully received certificate." in lines, describe(result)
    assert f"Certificate is saved at: {live}/fullchain.pem" in lines, describe(result)
    assert f"Key is saved at:         {live}/privkey.pem" in lines, describe(result)
    assert f"This certificate expires on {cert_date}." in lines, describe(result)

    # archive/NAME/*1.pem, live/NAME/*.pem relative symlinks into it, and the README.
    for stem in LIVE_FILES:
        link = live / f"{stem}.pem"
        assert link.is_symlink(), f"{link} is not a symlink"
        assert os.readlink(link) == f"../../archive/{name}/{stem}1.pem", os.readlink(link)
        assert (archive / f"{stem}1.pem").is_file()
    assert (live / "README").is_file()

    # Permissions: private key 0600, the secret-holding dirs 0700.
    assert mode(archive / "privkey1.pem") == 0o600
    for d in ("archive", "live", "accounts"):
        assert mode(config / d) == 0o700, f"{d}/ has mode {mode(config / d):04o}"

    # The certificate: right names, chains to Pebble's root, matches the key, and Pebble knows it.
    root, _ = trust_files
    assert sans(live / "cert.pem") == set(NAMES)
    verified = verify_chain(live / "cert.pem", live / "chain.pem", root)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    fullchain = pem_blocks(live / "fullchain.pem")
    assert fullchain == pem_blocks(live / "cert.pem") + pem_blocks(live / "chain.pem")
    assert public_key_of_cert(live / "cert.pem") == public_key_of_key(live / "privkey.pem")
    assert "prime256v1" in key_description(live / "privkey.pem") or "P-256" in key_description(live / "privkey.pem")
    assert pebble.cert_status(serial_hex(live / "cert.pem"))["Status"] == "Valid"

    # Account: exactly one, under accounts/<host:port>/<path>/<id>/.
    server_dir = config / "accounts" / pebble.account_server_dir
    accounts = [p for p in server_dir.iterdir()] if server_dir.is_dir() else []
    assert len(accounts) == 1, f"accounts under {server_dir}: {accounts}"
    account = accounts[0]
    for f in ("meta.json", "private_key.json", "regr.json"):
        assert (account / f).is_file(), f"missing {account / f}"
        json.loads((account / f).read_text())
    assert json.loads((account / "private_key.json").read_text()).get("kty"), "private_key.json is not a JWK"

    # Renewal conf in certbot's format.
    conf = parse_renewal_conf(config / "renewal" / f"{name}.conf")
    assert conf.get("version"), conf
    assert conf["archive_dir"] == str(archive)
    for stem in LIVE_FILES:
        assert conf[stem] == str(live / f"{stem}.pem")
    params = conf["renewalparams"]
    assert params["account"] == account.name
    assert params["authenticator"] == "standalone"
    assert params["server"] == pebble.directory_url
    assert params["key_type"] == "ecdsa"

    # Full detail goes to the log file.
    log = run_certsmith.logs_dir / "letsencrypt.log"
    assert log.is_file() and log.stat().st_size > 0


def test_quiet_prints_nothing_on_success(run_certsmith):
    result = run_certsmith.certonly("quiet.example.com", extra=("-q",))
    assert result.returncode == 0, describe(result)
    assert result.stdout == "", describe(result)
    assert (run_certsmith.config_dir / "live" / "quiet.example.com" / "fullchain.pem").is_file()


def test_standalone_on_ipv4_address_only(make_runner, pebble_factory):
    """--http-01-address narrows the responder; with no AAAA records Pebble validates over IPv4."""
    run = make_runner(pebble_factory(default_ipv6=""))
    result = run.certonly("v4only.example.com", extra=("--http-01-address", "127.0.0.1"))
    assert result.returncode == 0, describe(result)
    assert sans(run.config_dir / "live" / "v4only.example.com" / "cert.pem") == {"v4only.example.com"}


def test_ca_bundle_flag_instead_of_environment(run_certsmith, pebble):
    result = run_certsmith.certonly("ca-flag.example.com", extra=("--ca-bundle", str(pebble.ca_bundle)),
                                    env={"REQUESTS_CA_BUNDLE": None})
    assert result.returncode == 0, describe(result)
    assert (run_certsmith.config_dir / "live" / "ca-flag.example.com" / "fullchain.pem").is_file()
