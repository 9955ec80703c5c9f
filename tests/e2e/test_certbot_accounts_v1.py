"""Accounts from certbot's ACME v1 days: certbot keeps using an account registered with
acme-v01.api.letsencrypt.org for acme-v02 (constants.LE_REUSE_SERVERS) and links the v2 accounts
directory to it. certsmith finds such an account the same way and leaves the same link.

Let's Encrypt cannot be reached from the test, and must not be: every run goes through a proxy that
refuses connections, so a run that found the account ends in a network error (exit 3) right after,
while a run that did not find it stops before, with certbot's "Could not find an existing account"
(exit 2). Which of the two happened is the test."""

from __future__ import annotations

import hashlib
import json
import os

from conftest import describe
from inspect_tree import snapshot

LE_V2 = "https://acme-v02.api.letsencrypt.org/directory"
EXIT_USAGE, EXIT_NETWORK, EXIT_STORAGE = 2, 3, 6  # lib/util/error.hpp
NO_NETWORK = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "no_proxy": None, "NO_PROXY": None}


def write_certbot_account(server_dir, key_type: str = "rsa") -> str:
    """An account as certbot writes it (josepy JWK, regr.json with v1's legacy keys); returns its id."""
    import josepy as jose
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if key_type == "rsa":
        key = rsa.generate_private_key(65537, 2048)
        jwk = jose.JWKRSA(key=jose.ComparableRSAKey(key))
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        jwk = jose.JWKEC(key=key)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    account_id = hashlib.md5(public_pem).hexdigest()
    account_dir = server_dir / account_id
    account_dir.mkdir(parents=True, mode=0o700)
    key_file = account_dir / "private_key.json"
    key_file.write_text(jwk.json_dumps())
    os.chmod(key_file, 0o400)
    (account_dir / "regr.json").write_text(json.dumps({
        "body": {}, "uri": "https://acme-v01.api.letsencrypt.org/acme/reg/4242",
        "new_authzr_uri": "https://acme-v01.api.letsencrypt.org/acme/new-authz",
        "terms_of_service": "https://letsencrypt.org/documents/LE-SA-v1.1.1-August-1-2016.pdf"}))
    (account_dir / "meta.json").write_text(json.dumps({"creation_dt": "2017-05-01T10:00:00Z",
                                                       "creation_host": "old.example.com"}))
    return account_id


def show_account(run, *extra: str):
    return run("show_account", "--server", LE_V2, *extra, env=NO_NETWORK)


def test_an_account_only_under_v1_serves_v2_and_v2_is_linked_to_it(run_certsmith):
    run = run_certsmith
    accounts = run.config_dir / "accounts"
    v1_dir = accounts / "acme-v01.api.letsencrypt.org" / "directory"
    write_certbot_account(v1_dir, "ec")  # certbot accepts EC account keys; so does certsmith
    v2_dir = accounts / "acme-v02.api.letsencrypt.org" / "directory"

    result = show_account(run)
    assert result.returncode == EXIT_NETWORK, describe(result)
    assert "Could not find an existing account" not in result.stderr, describe(result)
    # certbot's _symlink_to_accounts_dir: v2's directory is an absolute link to v1's.
    assert v2_dir.is_symlink(), describe(result)
    assert os.readlink(v2_dir) == str(v1_dir.resolve())

    again = show_account(run)  # through the link now
    assert again.returncode == EXIT_NETWORK, describe(again)
    assert os.readlink(v2_dir) == str(v1_dir.resolve())


def test_without_any_account_v2_is_not_linked(run_certsmith):
    run = run_certsmith
    (run.config_dir / "accounts" / "acme-v01.api.letsencrypt.org" / "directory").mkdir(parents=True)
    result = show_account(run)
    assert result.returncode == EXIT_USAGE, describe(result)
    assert "Could not find an existing account" in result.stderr, describe(result)
    assert not (run.config_dir / "accounts" / "acme-v02.api.letsencrypt.org").exists()


def test_one_v1_account_named_by_id_is_linked_alone_when_v2_has_others(run_certsmith):
    run = run_certsmith
    accounts = run.config_dir / "accounts"
    v1_dir = accounts / "acme-v01.api.letsencrypt.org" / "directory"
    v2_dir = accounts / "acme-v02.api.letsencrypt.org" / "directory"
    old_id = write_certbot_account(v1_dir)
    write_certbot_account(v2_dir)

    result = show_account(run, "--account", old_id)
    assert result.returncode == EXIT_NETWORK, describe(result)
    assert not v2_dir.is_symlink()
    assert (v2_dir / old_id).is_symlink(), describe(result)  # certbot's _symlink_to_account_dir
    assert os.readlink(v2_dir / old_id) == str((v1_dir / old_id).resolve())


def test_a_v2_directory_linked_out_of_the_tree_is_refused(run_certsmith, tmp_path):
    run = run_certsmith
    outside = tmp_path / "elsewhere"
    write_certbot_account(outside)
    v2_dir = run.config_dir / "accounts" / "acme-v02.api.letsencrypt.org" / "directory"
    v2_dir.parent.mkdir(parents=True)
    v2_dir.symlink_to(outside)
    before = snapshot(outside)

    result = show_account(run)
    assert result.returncode == EXIT_STORAGE, describe(result)
    assert str(v2_dir) in result.stderr and "leads out of" in result.stderr, describe(result)
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, describe(result)
    assert snapshot(outside) == before
