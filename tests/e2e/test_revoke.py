"""A user revokes a certificate: by the account that issued it or by the certificate's own key, with a
reason; afterwards the lineage is deleted or kept as they chose. Pebble's management port tells what the CA
recorded."""

from __future__ import annotations

import shutil

from conftest import assert_tree_safe, describe
from inspect_tree import serial_hex, snapshot


def _issue(run, name):
    result = run.certonly(name)
    assert result.returncode == 0, describe(result)
    return serial_hex(run.config_dir / "live" / name / "cert.pem")


def _one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    return lines[0]


def _dirs_under(root):
    """--config-dir/--work-dir/--logs-dir of another, empty tree."""
    return ("--config-dir", str(root / "config"), "--work-dir", str(root / "work"), "--logs-dir", str(root / "logs"))


def _lineage_present(run, name):
    return all((run.config_dir / sub / name).exists() for sub in ("live", "archive")) and \
        (run.config_dir / "renewal" / f"{name}.conf").exists()


def test_revoke_by_account_key_with_reason_keeps_lineage_when_asked(run_certsmith, pebble):
    serial = _issue(run_certsmith, "revoke-acct.example.com")
    assert pebble.cert_status(serial)["Status"] == "Valid"
    accounts = snapshot(run_certsmith.config_dir / "accounts")

    result = run_certsmith("revoke", "--cert-name", "revoke-acct.example.com", "--reason", "keyCompromise",
                           "--no-delete-after-revoke")
    assert result.returncode == 0, describe(result)
    assert "successfully revoked" in result.stdout, describe(result)
    status = pebble.cert_status(serial)
    assert status["Status"] == "Revoked" and status["Reason"] == 1, status
    assert _lineage_present(run_certsmith, "revoke-acct.example.com")
    assert snapshot(run_certsmith.config_dir / "accounts") == accounts, "revoke must not register an account"


def test_revoke_by_certificate_key_needs_no_account(run_certsmith, pebble, sandbox):
    serial = _issue(run_certsmith, "revoke-key.example.com")
    live = run_certsmith.config_dir / "live" / "revoke-key.example.com"
    # A copy outside the tree, in a config dir that holds no account at all.
    shutil.copy(live / "cert.pem", sandbox / "cert.pem")
    shutil.copy(live / "privkey.pem", sandbox / "privkey.pem")
    empty = sandbox / "empty-config"
    result = run_certsmith("revoke", "--cert-path", str(sandbox / "cert.pem"), "--key-path",
                           str(sandbox / "privkey.pem"), "--reason", "superseded", "--server",
                           pebble.directory_url, *_dirs_under(empty), dirs=False)
    assert result.returncode == 0, describe(result)
    status = pebble.cert_status(serial)
    assert status["Status"] == "Revoked" and status["Reason"] == 4, status
    assert not (empty / "config" / "accounts").exists()
    assert_tree_safe(empty / "config")


def test_revoke_without_a_stored_account_suggests_key_path(run_certsmith, pebble, sandbox):
    serial = _issue(run_certsmith, "revoke-noacct.example.com")
    shutil.copy(run_certsmith.config_dir / "live" / "revoke-noacct.example.com" / "cert.pem", sandbox / "c.pem")
    empty = sandbox / "empty-config"
    result = run_certsmith("revoke", "--cert-path", str(sandbox / "c.pem"), "--server", pebble.directory_url,
                           *_dirs_under(empty), dirs=False)
    assert result.returncode != 0, describe(result)
    assert "--key-path" in _one_error_line(result)
    assert not (empty / "config" / "accounts").exists(), "no account may be registered to revoke"
    assert pebble.cert_status(serial)["Status"] == "Valid"


def test_revoke_with_a_key_of_another_certificate_is_refused(run_certsmith, pebble):
    serial = _issue(run_certsmith, "revoke-k1.example.com")
    _issue(run_certsmith, "revoke-k2.example.com")
    live = run_certsmith.config_dir / "live"
    result = run_certsmith("revoke", "--cert-path", str(live / "revoke-k1.example.com" / "cert.pem"),
                           "--key-path", str(live / "revoke-k2.example.com" / "privkey.pem"))
    assert result.returncode == 2, describe(result)
    assert "does not match" in _one_error_line(result)
    assert pebble.cert_status(serial)["Status"] == "Valid"


def test_revoking_twice_says_already_revoked(run_certsmith, pebble):
    _issue(run_certsmith, "revoke-twice.example.com")
    first = run_certsmith("revoke", "--cert-name", "revoke-twice.example.com", "--no-delete-after-revoke")
    assert first.returncode == 0, describe(first)
    before = snapshot(run_certsmith.config_dir)
    second = run_certsmith("revoke", "--cert-name", "revoke-twice.example.com", "--delete-after-revoke")
    assert second.returncode == 4, describe(second)
    assert "was already revoked" in _one_error_line(second)
    assert snapshot(run_certsmith.config_dir) == before, "nothing is deleted after a refused revocation"


def test_delete_after_revoke_removes_the_lineage(run_certsmith, pebble):
    serial = _issue(run_certsmith, "revoke-del.example.com")
    _issue(run_certsmith, "revoke-stay.example.com")
    result = run_certsmith("revoke", "--cert-name", "revoke-del.example.com", "--delete-after-revoke")
    assert result.returncode == 0, describe(result)
    assert pebble.cert_status(serial)["Status"] == "Revoked"
    for sub in ("live", "archive"):
        assert not (run_certsmith.config_dir / sub / "revoke-del.example.com").exists()
    assert not (run_certsmith.config_dir / "renewal" / "revoke-del.example.com.conf").exists()
    assert _lineage_present(run_certsmith, "revoke-stay.example.com")


def test_non_interactive_revoke_deletes_by_default_as_certbot(run_certsmith, pebble):
    """certbot's question defaults to yes, and -n takes the default."""
    _issue(run_certsmith, "revoke-default.example.com")
    result = run_certsmith("revoke", "--cert-name", "revoke-default.example.com")
    assert result.returncode == 0, describe(result)
    assert not (run_certsmith.config_dir / "renewal" / "revoke-default.example.com.conf").exists()


def test_revoke_by_cert_path_in_live_finds_its_lineage(run_certsmith, pebble):
    serial = _issue(run_certsmith, "revoke-path.example.com")
    cert = run_certsmith.config_dir / "live" / "revoke-path.example.com" / "cert.pem"
    # No --server: the lineage's conf names the CA.
    result = run_certsmith("revoke", "--cert-path", str(cert), "--reason", "cessationofoperation",
                           "--delete-after-revoke")
    assert result.returncode == 0, describe(result)
    status = pebble.cert_status(serial)
    assert status["Status"] == "Revoked" and status["Reason"] == 5, status
    assert not (run_certsmith.config_dir / "live" / "revoke-path.example.com").exists()


def test_revoke_of_a_truncated_certificate_is_one_line(run_certsmith, sandbox):
    _issue(run_certsmith, "revoke-trunc.example.com")
    text = (run_certsmith.config_dir / "live" / "revoke-trunc.example.com" / "cert.pem").read_text()
    (sandbox / "truncated.pem").write_text(text[: len(text) // 2])
    result = run_certsmith("revoke", "--cert-path", str(sandbox / "truncated.pem"))
    assert result.returncode == 1, describe(result)
    assert "no readable certificate" in _one_error_line(result)


def test_revoke_refuses_bad_flags(run_certsmith):
    _issue(run_certsmith, "revoke-flags.example.com")
    before = snapshot(run_certsmith.config_dir)
    cert = run_certsmith.config_dir / "live" / "revoke-flags.example.com" / "cert.pem"
    for args in (("--cert-name", "revoke-flags.example.com", "--reason", "bogus"),
                 ("--cert-name", "revoke-flags.example.com", "--reason", "7"),
                 ("--cert-name", "revoke-flags.example.com", "--cert-path", str(cert)),
                 (),
                 ("--cert-name", "../x"),
                 ("--cert-name", "revoke-flags.example.com", "--delete-after-revoke",
                  "--no-delete-after-revoke")):
        result = run_certsmith("revoke", *args)
        assert result.returncode == 2, describe(result)
        _one_error_line(result)
    bogus = run_certsmith("revoke", "--cert-name", "revoke-flags.example.com", "--reason", "bogus")
    assert "keycompromise" in bogus.stderr and "aacompromise" in bogus.stderr, describe(bogus)
    unknown = run_certsmith("revoke", "--cert-name", "nope.example.com")
    assert unknown.returncode == 1 and "No certificate found with name nope.example.com" in unknown.stderr, \
        describe(unknown)
    assert snapshot(run_certsmith.config_dir) == before


def test_revoke_without_a_terminal_keeps_the_lineage_and_says_so(run_certsmith, pebble):
    """Without -n, a flag or a terminal, nobody can answer the delete question: the revocation still
    succeeds and the lineage stays."""
    serial = _issue(run_certsmith, "revoke-notty.example.com")
    result = run_certsmith("revoke", "--cert-name", "revoke-notty.example.com", non_interactive=False)
    assert result.returncode == 0, describe(result)
    assert pebble.cert_status(serial)["Status"] == "Revoked"
    assert "Not deleting revoke-notty.example.com" in result.stderr, describe(result)
    assert _lineage_present(run_certsmith, "revoke-notty.example.com")


def _pem_to_der(pem_text: str) -> bytes:
    import base64
    body = pem_text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    return base64.b64decode("".join(body.split()))


def test_revoke_of_a_der_certificate_file(run_certsmith, pebble, sandbox):
    """certbot reads --cert-path as PEM, then as DER."""
    serial = _issue(run_certsmith, "revoke-der.example.com")
    live = run_certsmith.config_dir / "live" / "revoke-der.example.com"
    der = sandbox / "cert.der"
    der.write_bytes(_pem_to_der((live / "cert.pem").read_text()))
    result = run_certsmith("revoke", "--cert-path", str(der), "--server", pebble.directory_url)
    assert result.returncode == 0, describe(result)
    assert pebble.cert_status(serial)["Status"] == "Revoked"
    assert _lineage_present(run_certsmith, "revoke-der.example.com"), "a file outside the tree is no lineage's"

    junk = sandbox / "junk.der"
    junk.write_bytes(der.read_bytes() + b"\x00trailing")
    refused = run_certsmith("revoke", "--cert-path", str(junk), "--server", pebble.directory_url)
    assert refused.returncode == 1, describe(refused)
    assert "holds no readable certificate" in _one_error_line(refused)


def test_revoke_with_a_malformed_account_in_the_conf_uses_the_stored_account(run_certsmith, pebble):
    serial = _issue(run_certsmith, "revoke-badacct.example.com")
    conf = run_certsmith.config_dir / "renewal" / "revoke-badacct.example.com.conf"
    text = conf.read_text()
    start = text.index("account = ")
    end = text.index("\n", start)
    conf.write_text(text[:start] + "account = ../../../etc/not-an-id" + text[end:])
    result = run_certsmith("revoke", "--cert-name", "revoke-badacct.example.com", "--no-delete-after-revoke")
    assert result.returncode == 0, describe(result)
    assert pebble.cert_status(serial)["Status"] == "Revoked"

    strict = run_certsmith("revoke", "--cert-name", "revoke-badacct.example.com", "--account", "../x",
                           "--no-delete-after-revoke")
    assert strict.returncode == 2, describe(strict)
    _one_error_line(strict)


def test_revoke_keeps_a_lineage_whose_archive_another_lineage_uses(run_certsmith, pebble):
    """certbot's _delete_if_appropriate: revoked, but not deleted, with its warning."""
    serial = _issue(run_certsmith, "revoke-ovl.example.com")
    _issue(run_certsmith, "revoke-ovl2.example.com")
    config = run_certsmith.config_dir
    conf = config / "renewal" / "revoke-ovl2.example.com.conf"
    text = conf.read_text()
    start = text.index("archive_dir = ")
    conf.write_text(text[:start] + f"archive_dir = {config / 'archive' / 'revoke-ovl.example.com'}" +
                    text[text.index("\n", start):])
    result = run_certsmith("revoke", "--cert-name", "revoke-ovl.example.com", "--delete-after-revoke",
                           check_tree=False)
    assert result.returncode == 0, describe(result)
    assert pebble.cert_status(serial)["Status"] == "Revoked"
    assert ("Not deleting revoked certificates due to overlapping archive dirs. More than one certificate is "
            "using") in result.stdout + result.stderr, describe(result)
    assert _lineage_present(run_certsmith, "revoke-ovl.example.com")
