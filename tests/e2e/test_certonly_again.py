"""A user runs certonly again for names that already have a certificate."""

from __future__ import annotations

import datetime as dt
import os
import time

from conftest import describe
from inspect_tree import (LIVE_FILES, not_after, not_before, parse_renewal_conf, public_key_of_cert,
                          public_key_of_key, sans, serial_hex, snapshot, verify_chain)

NAMES = ("again.example.com", "www.again.example.com")


def _accounts(run_certsmith, pebble):
    server_dir = run_certsmith.config_dir / "accounts" / pebble.account_server_dir
    return sorted(p.name for p in server_dir.iterdir()) if server_dir.is_dir() else []


def test_second_certonly_keeps_valid_certificate(run_certsmith, pebble):
    first = run_certsmith.certonly(*NAMES)
    assert first.returncode == 0, describe(first)
    before = snapshot(run_certsmith.config_dir)
    serial = serial_hex(run_certsmith.config_dir / "live" / NAMES[0] / "cert.pem")

    second = run_certsmith.certonly(*NAMES)
    assert second.returncode == 0, describe(second)
    assert "Certificate not yet due for renewal; no action taken." in second.stdout.splitlines(), describe(second)
    assert "Successfully received certificate." not in second.stdout
    assert snapshot(run_certsmith.config_dir) == before, "the tree changed although nothing was due"
    assert serial_hex(run_certsmith.config_dir / "live" / NAMES[0] / "cert.pem") == serial


def test_force_renewal_reuses_account_and_moves_live_to_version_2(run_certsmith, pebble, trust_files):
    first = run_certsmith.certonly(*NAMES)
    assert first.returncode == 0, describe(first)
    accounts_before = _accounts(run_certsmith, pebble)
    assert len(accounts_before) == 1
    live = run_certsmith.config_dir / "live" / NAMES[0]
    archive = run_certsmith.config_dir / "archive" / NAMES[0]
    serial_1 = serial_hex(live / "cert.pem")
    archived_1 = {stem: (archive / f"{stem}1.pem").read_bytes() for stem in LIVE_FILES}

    second = run_certsmith.certonly(*NAMES, extra=("--force-renewal",))
    assert second.returncode == 0, describe(second)
    assert "Successfully received certificate." in second.stdout.splitlines(), describe(second)
    assert _accounts(run_certsmith, pebble) == accounts_before, "a second account was registered"

    for stem in LIVE_FILES:
        assert os.readlink(live / f"{stem}.pem") == f"../../archive/{NAMES[0]}/{stem}2.pem"
        assert (archive / f"{stem}1.pem").read_bytes() == archived_1[stem], f"{stem}1.pem was modified"
    assert not (archive / "cert3.pem").exists()

    serial_2 = serial_hex(live / "cert.pem")
    assert serial_2 != serial_1
    assert sans(live / "cert.pem") == set(NAMES)
    assert public_key_of_cert(live / "cert.pem") == public_key_of_key(live / "privkey.pem")
    root, _ = trust_files
    verified = verify_chain(live / "cert.pem", live / "chain.pem", root)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert pebble.cert_status(serial_2)["Status"] == "Valid"

    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{NAMES[0]}.conf")
    assert conf["renewalparams"]["account"] == accounts_before[0]
    assert conf["cert"] == str(live / "cert.pem")


def test_subset_of_names_gets_a_new_lineage_with_suffix(run_certsmith):
    """The lineage name is the first -d; when that name is taken by a different set, -0001 is appended."""
    first = run_certsmith.certonly("suffix.example.com", "www.suffix.example.com")
    assert first.returncode == 0, describe(first)
    second = run_certsmith.certonly("suffix.example.com")
    assert second.returncode == 0, describe(second)
    live = run_certsmith.config_dir / "live"
    assert sans(live / "suffix.example.com" / "cert.pem") == {"suffix.example.com", "www.suffix.example.com"}
    assert sans(live / "suffix.example.com-0001" / "cert.pem") == {"suffix.example.com"}
    assert (run_certsmith.config_dir / "renewal" / "suffix.example.com-0001.conf").is_file()


def test_cert_name_chooses_the_lineage_name(run_certsmith):
    result = run_certsmith.certonly("named.example.com", extra=("--cert-name", "my-site"))
    assert result.returncode == 0, describe(result)
    assert sans(run_certsmith.config_dir / "live" / "my-site" / "cert.pem") == {"named.example.com"}
    assert (run_certsmith.config_dir / "renewal" / "my-site.conf").is_file()
    assert not (run_certsmith.config_dir / "live" / "named.example.com").exists()


def test_certonly_renews_a_certificate_that_is_due(make_runner, pebble_factory):
    """A short-lived certificate past half its lifetime (the rule for certificates under 10 days) is due:
    certonly without --force-renewal renews it."""
    run = make_runner(pebble_factory(validity_seconds=6))
    first = run.certonly("due.example.com")
    assert first.returncode == 0, describe(first)
    cert = run.config_dir / "live" / "due.example.com" / "cert.pem"
    start, end = not_before(cert), not_after(cert)
    due_at = end - (end - start) / 2
    wait = (due_at - dt.datetime.now(dt.timezone.utc)).total_seconds() + 1.0
    assert wait < 30, f"unexpected validity {start} .. {end}"
    if wait > 0:
        time.sleep(wait)
    second = run.certonly("due.example.com")
    assert second.returncode == 0, describe(second)
    assert "Successfully received certificate." in second.stdout.splitlines(), describe(second)
    assert os.readlink(cert) == "../../archive/due.example.com/cert2.pem"


def test_same_names_in_another_order_and_case_are_the_same_certificate(run_certsmith):
    """certbot compares the sets of names: order, case and a trailing dot do not make a new lineage."""
    first = run_certsmith.certonly("order.example.com", "www.order.example.com")
    assert first.returncode == 0, describe(first)
    before = snapshot(run_certsmith.config_dir)
    second = run_certsmith.certonly("WWW.Order.example.com.", "order.example.com")
    assert second.returncode == 0, describe(second)
    assert "Certificate not yet due for renewal; no action taken." in second.stdout.splitlines(), describe(second)
    assert snapshot(run_certsmith.config_dir) == before


def test_a_superset_lineage_is_not_shrunk_by_a_smaller_request(run_certsmith):
    """certbot's subset rule runs one way: asking for fewer names never removes names from a lineage."""
    assert run_certsmith.certonly("wide.example.com", "www.wide.example.com").returncode == 0
    result = run_certsmith.certonly("www.wide.example.com", extra=("--expand",))
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live"
    assert sans(live / "wide.example.com" / "cert.pem") == {"wide.example.com", "www.wide.example.com"}
    assert sans(live / "www.wide.example.com" / "cert.pem") == {"www.wide.example.com"}


def test_dry_run_tests_issuance_even_when_not_due(run_certsmith, pebble):
    """certbot's should_renew is true for --dry-run: it tests issuance, due or not, and stores nothing."""
    first = run_certsmith.certonly(*NAMES)
    assert first.returncode == 0, describe(first)
    before = snapshot(run_certsmith.config_dir)

    dry = run_certsmith.certonly(*NAMES, extra=("--dry-run",))
    assert dry.returncode == 0, describe(dry)
    assert "The dry run was successful." in dry.stdout.splitlines(), describe(dry)
    assert "not yet due" not in dry.stdout, describe(dry)
    assert snapshot(run_certsmith.config_dir) == before, "a dry run changed the tree"


def test_cert_name_alone_takes_the_lineage_names(run_certsmith, pebble):
    """certbot's _find_domains_or_certname: --cert-name without -d uses the names the lineage holds."""
    first = run_certsmith.certonly(*NAMES)
    assert first.returncode == 0, describe(first)
    live = run_certsmith.config_dir / "live" / NAMES[0]
    before = snapshot(run_certsmith.config_dir)

    kept = run_certsmith.certonly(extra=("--cert-name", NAMES[0]))
    assert kept.returncode == 0, describe(kept)
    assert "Certificate not yet due for renewal; no action taken." in kept.stdout.splitlines(), describe(kept)
    assert snapshot(run_certsmith.config_dir) == before

    renewed = run_certsmith.certonly(extra=("--cert-name", NAMES[0], "--force-renewal"))
    assert renewed.returncode == 0, describe(renewed)
    assert os.readlink(live / "cert.pem") == f"../../archive/{NAMES[0]}/cert2.pem"
    assert sans(live / "cert.pem") == set(NAMES)


def test_cert_name_alone_of_an_unknown_lineage_is_refused(run_certsmith, pebble):
    result = run_certsmith.certonly(extra=("--cert-name", "never-issued.example.com"))
    assert result.returncode == 2, describe(result)
    line, = result.stderr.strip().splitlines()
    assert line.startswith("certsmith: error: no domains given"), line
    assert not (run_certsmith.config_dir / "renewal").exists()
