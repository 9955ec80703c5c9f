"""Fallback certificates (issue 7 part 3): `certonly --bootstrap-self-signed` serves a self-signed
certificate from live/ before the first issuance; a lineage with `--fallback-self-signed` or
`--fallback-cert/--fallback-key` whose renewal fails until its certificate has expired switches live/
to the fallback, and back to a real certificate when renewal succeeds. `certificates` says which is live."""

import datetime as dt
import json
import os
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from conftest import describe

# Nothing listens here: an issuance or renewal against it fails at once.
DEAD_SERVER = "https://127.0.0.1:9/dir"


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def is_self_signed(path: Path) -> bool:
    cert = load_cert(path)
    return cert.issuer == cert.subject


def organization(path: Path) -> str:
    names = load_cert(path).subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return names[0].value if names else ""


def sans(path: Path) -> set:
    ext = load_cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(ext.value.get_values_for_type(x509.DNSName))


def live_version(run, name: str) -> int:
    target = os.readlink(run.config_dir / "live" / name / "cert.pem")
    return int(Path(target).name.removeprefix("cert").removesuffix(".pem"))


def entry(run, name: str) -> dict:
    result = run("certificates", "--json")
    assert result.returncode == 0, describe(result)
    return next(e for e in json.loads(result.stdout)["certificates"] if e["name"] == name)


def wait_until_expired(path: Path) -> None:
    end = load_cert(path).not_valid_after.replace(tzinfo=dt.timezone.utc)
    wait = (end - dt.datetime.now(dt.timezone.utc)).total_seconds() + 1.5
    assert wait < 30, f"unexpected validity, ends {end}"
    if wait > 0:
        time.sleep(wait)


def test_bootstrap_then_real_issuance_replaces_it(run_certsmith, certbot):
    run = run_certsmith
    result = run.certonly("boot.example.com", "www.boot.example.com", extra=("--bootstrap-self-signed",))
    assert result.returncode == 0, describe(result)
    archive = run.config_dir / "archive" / "boot.example.com"
    assert is_self_signed(archive / "cert1.pem")
    assert organization(archive / "cert1.pem") == "certsmith self-signed bootstrap"
    assert sans(archive / "cert1.pem") == {"boot.example.com", "www.boot.example.com"}
    assert (archive / "privkey1.pem").stat().st_mode & 0o077 == 0
    assert live_version(run, "boot.example.com") == 2
    assert not is_self_signed(run.config_dir / "live" / "boot.example.com" / "cert.pem")
    conf = (run.config_dir / "renewal" / "boot.example.com.conf").read_text()
    assert "certsmith_live_kind" not in conf
    assert entry(run, "boot.example.com")["live"] == "real"
    listing = certbot("certificates")
    assert listing.returncode == 0 and "boot.example.com" in listing.stdout, describe(listing)


def test_bootstrap_stays_when_issuance_fails_and_renew_replaces_it(run_certsmith, pebble, certbot):
    run = run_certsmith
    result = run.certonly("stay.example.com", extra=("--bootstrap-self-signed", "--key-type", "rsa"),
                          server=DEAD_SERVER)
    assert result.returncode != 0, describe(result)
    live = run.config_dir / "live" / "stay.example.com"
    for name in ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"):
        assert (live / name).exists(), name
    assert is_self_signed(live / "cert.pem")
    assert load_cert(live / "cert.pem").public_key().key_size == 2048  # the requested key type
    info = entry(run, "stay.example.com")
    assert info["live"] == "self-signed-bootstrap" and info["status"] == "valid"
    human = run("certificates")
    assert "Live Certificate: self-signed bootstrap" in human.stdout, describe(human)
    # certbot still reads such a tree.
    listing = certbot("certificates")
    assert listing.returncode == 0 and "stay.example.com" in listing.stdout, describe(listing)
    # A placeholder is always due: renew replaces it although it is valid for days.
    # The failed certonly never reached the CA, so no account exists yet.
    renewed = run("renew", "--server", pebble.directory_url, "--http-01-port", str(pebble.http_port),
                  "--agree-tos", "--register-unsafely-without-email")
    assert renewed.returncode == 0, describe(renewed)
    assert live_version(run, "stay.example.com") == 2
    assert not is_self_signed(live / "cert.pem")
    assert entry(run, "stay.example.com")["live"] == "real"
    again = run("renew")
    assert again.returncode == 0 and live_version(run, "stay.example.com") == 2, describe(again)


def test_expired_lineage_switches_to_self_signed_fallback_and_back(make_runner, pebble_factory):
    pebble = pebble_factory(validity_seconds=6)
    run = make_runner(pebble)
    result = run.certonly("fb.example.com", extra=("--fallback-self-signed",))
    assert result.returncode == 0, describe(result)
    assert entry(run, "fb.example.com")["fallback"]["self_signed"] is True
    live = run.config_dir / "live" / "fb.example.com"
    wait_until_expired(live / "cert.pem")

    marker = run.sandbox / "deployed"
    failed = run("renew", "--server", DEAD_SERVER, "--deploy-hook", f"touch {marker}")
    assert failed.returncode == 1, describe(failed)
    assert "self-signed fallback" in failed.stderr + failed.stdout, describe(failed)
    assert marker.exists(), "the deploy hook did not run for the switch: " + describe(failed)
    assert live_version(run, "fb.example.com") == 2
    assert is_self_signed(live / "cert.pem")
    assert organization(live / "cert.pem") == "certsmith self-signed fallback"
    info = entry(run, "fb.example.com")
    assert info["live"] == "self-signed-fallback" and info["status"] == "valid"

    # Failing again while the fallback is valid changes nothing.
    failed_again = run("renew", "--server", DEAD_SERVER)
    assert failed_again.returncode == 1 and live_version(run, "fb.example.com") == 2, describe(failed_again)

    back = run("renew")
    assert back.returncode == 0, describe(back)
    assert live_version(run, "fb.example.com") == 3
    assert not is_self_signed(live / "cert.pem")
    assert entry(run, "fb.example.com")["live"] == "real"


def make_wildcard(tmp: Path, names: list, key_mode: int = 0o600) -> tuple:
    cert, key = tmp / "wild.pem", tmp / "wild.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", "/CN=" + names[0],
                    "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in names)],
                   check=True, capture_output=True)
    key.chmod(key_mode)
    return cert, key


def test_expired_lineage_switches_to_user_fallback_and_back(make_runner, pebble_factory, tmp_path):
    pebble = pebble_factory(validity_seconds=6)
    run = make_runner(pebble)
    cert, key = make_wildcard(tmp_path, ["*.shop.example.com", "shop.example.com"])
    result = run.certonly("a.shop.example.com", extra=("--fallback-cert", str(cert), "--fallback-key", str(key)))
    assert result.returncode == 0, describe(result)
    live = run.config_dir / "live" / "a.shop.example.com"
    wait_until_expired(live / "cert.pem")

    failed = run("renew", "--server", DEAD_SERVER)
    assert failed.returncode == 1, describe(failed)
    assert (live / "cert.pem").read_bytes() == cert.read_bytes()
    assert (run.config_dir / "archive" / "a.shop.example.com" / "privkey2.pem").stat().st_mode & 0o077 == 0
    assert entry(run, "a.shop.example.com")["live"] == "user-fallback"

    # Renewal asks for the lineage's own name, not the wildcard's.
    back = run("renew")
    assert back.returncode == 0, describe(back)
    assert sans(live / "cert.pem") == {"a.shop.example.com"}
    assert entry(run, "a.shop.example.com")["live"] == "real"


def test_hostile_fallback_files_are_refused_before_anything_is_written(run_certsmith, tmp_path):
    run = run_certsmith
    good_cert, good_key = make_wildcard(tmp_path, ["*.bad.example.com"])
    other = tmp_path / "other"
    other.mkdir()
    _, other_key = make_wildcard(other, ["*.bad.example.com"])
    truncated = tmp_path / "truncated.pem"
    truncated.write_bytes(good_cert.read_bytes()[:200])
    readable_key = tmp_path / "readable.key"
    readable_key.write_bytes(good_key.read_bytes())
    readable_key.chmod(0o644)
    cases = [
        (("--fallback-cert", str(truncated), "--fallback-key", str(good_key)), "not a PEM certificate"),
        (("--fallback-cert", str(good_cert), "--fallback-key", str(other_key)), "is not the key of"),
        (("--fallback-cert", str(good_cert), "--fallback-key", str(readable_key)), "readable by every user"),
        (("--fallback-cert", str(good_cert)), "go together"),
        (("--fallback-cert", str(tmp_path), "--fallback-key", str(good_key)), "not a regular file"),
    ]
    for extra, message in cases:
        result = run.certonly("x.bad.example.com", extra=extra + ("--bootstrap-self-signed",))
        assert result.returncode == 2, describe(result)
        assert message in result.stderr and "certsmith: error:" in result.stderr, describe(result)
        assert not (run.config_dir / "renewal").exists() or not any((run.config_dir / "renewal").iterdir())
    # Covering other names only.
    result = run.certonly("x.other.example.com", extra=("--fallback-cert", str(good_cert), "--fallback-key",
                                                         str(good_key)))
    assert result.returncode == 2 and "does not cover x.other.example.com" in result.stderr, describe(result)


def write_ca_signed(tmp: Path, names: list, not_before=None, not_after=None, stem: str = "bought") -> tuple:
    """A purchased-like certificate: signed by a CA of its own (so it has an authority key identifier, as
    a real one has), chain = leaf + CA, key 0600."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    now = dt.datetime.now(dt.timezone.utc)
    not_before = not_before or now - dt.timedelta(days=1)
    not_after = not_after or now + dt.timedelta(days=60)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test shop CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=2))
          .not_valid_after(now + dt.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert, key = tmp / f"{stem}.pem", tmp / f"{stem}.key"
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key.chmod(0o600)
    return cert, key


def conf_of(run, name: str) -> str:
    return (run.config_dir / "renewal" / f"{name}.conf").read_text()


def test_fallback_flags_on_a_kept_lineage_are_saved_and_bad_ones_refused(run_certsmith, tmp_path):
    run = run_certsmith
    first = run.certonly("kept.example.com")
    assert first.returncode == 0, describe(first)
    assert "certsmith_fallback" not in conf_of(run, "kept.example.com")

    again = run.certonly("kept.example.com", extra=("--fallback-self-signed",))
    assert again.returncode == 0, describe(again)
    assert live_version(run, "kept.example.com") == 1  # kept, not renewed
    assert "certsmith_fallback_self_signed = True" in conf_of(run, "kept.example.com"), describe(again)
    assert entry(run, "kept.example.com")["fallback"]["self_signed"] is True

    before = conf_of(run, "kept.example.com")
    other_cert, other_key = write_ca_signed(tmp_path, ["*.elsewhere.example.org"])
    expired_cert, expired_key = write_ca_signed(
        tmp_path, ["*.example.com"], stem="expired",
        not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90),
        not_after=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    cases = [
        (("--fallback-cert", str(other_cert), "--fallback-key", str(other_key)), "does not cover kept.example.com"),
        (("--fallback-cert", str(expired_cert), "--fallback-key", str(expired_key)), "has expired"),
        (("--fallback-cert", str(tmp_path / "missing.pem"), "--fallback-key", str(other_key)),
         "No such file or directory"),
        (("--fallback-cert", str(not_pem), "--fallback-key", str(other_key)), "not a PEM certificate"),
        (("--fallback-cert", str(other_cert), "--fallback-key", str(expired_key)), "is not the key of"),
        (("--no-fallback", "--fallback-self-signed"), "--no-fallback cannot be combined"),
    ]
    for extra, message in cases:
        result = run.certonly("kept.example.com", extra=extra)
        assert result.returncode == 2, describe(result)
        lines = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
        assert len(lines) == 1 and message in lines[0], describe(result)
        assert conf_of(run, "kept.example.com") == before
        assert live_version(run, "kept.example.com") == 1

    cleared = run.certonly("kept.example.com", extra=("--no-fallback",))
    assert cleared.returncode == 0, describe(cleared)
    assert "certsmith_fallback" not in conf_of(run, "kept.example.com")

    # A renewal that fails (the CA is down) keeps the flags too: that is when they matter.
    forced = run.certonly("kept.example.com", extra=("--force-renewal", "--fallback-self-signed"),
                          server=DEAD_SERVER)
    assert forced.returncode != 0, describe(forced)
    assert "certsmith_fallback_self_signed = True" in conf_of(run, "kept.example.com"), describe(forced)
    assert DEAD_SERVER not in conf_of(run, "kept.example.com")
    assert live_version(run, "kept.example.com") == 1


def test_reconfigure_sets_and_clears_a_user_fallback(run_certsmith, tmp_path):
    run = run_certsmith
    first = run.certonly("shop.example.net", "www.shop.example.net")
    assert first.returncode == 0, describe(first)
    cert, key = write_ca_signed(tmp_path, ["*.shop.example.net", "shop.example.net"])

    # Covering only one of the two names: refused, conf unchanged.
    partial_cert, partial_key = write_ca_signed(tmp_path, ["shop.example.net"], stem="partial")
    before = conf_of(run, "shop.example.net")
    refused = run("reconfigure", "--cert-name", "shop.example.net", "--fallback-cert", str(partial_cert),
                  "--fallback-key", str(partial_key))
    assert refused.returncode == 2, describe(refused)
    assert "does not cover www.shop.example.net" in refused.stderr, describe(refused)
    assert conf_of(run, "shop.example.net") == before

    bootstrap = run("reconfigure", "--cert-name", "shop.example.net", "--bootstrap-self-signed")
    assert bootstrap.returncode == 2 and "certonly" in bootstrap.stderr, describe(bootstrap)

    set_it = run("reconfigure", "--cert-name", "shop.example.net", "--fallback-cert", str(cert),
                 "--fallback-key", str(key), "--fallback-self-signed")
    assert set_it.returncode == 0, describe(set_it)
    assert "dry run" not in set_it.stdout + set_it.stderr  # nothing about issuance changed
    fallback = entry(run, "shop.example.net")["fallback"]
    assert fallback == {"self_signed": True, "cert": str(cert), "key": str(key)}, fallback
    assert live_version(run, "shop.example.net") == 1

    same = run("reconfigure", "--cert-name", "shop.example.net", "--fallback-self-signed")
    assert same.returncode == 0 and "nothing changed" in same.stdout + same.stderr, describe(same)

    clear = run("reconfigure", "--cert-name", "shop.example.net", "--no-fallback")
    assert clear.returncode == 0, describe(clear)
    assert entry(run, "shop.example.net")["fallback"] == {"self_signed": False, "cert": None, "key": None}
    assert "certsmith_fallback" not in conf_of(run, "shop.example.net")


def age_bootstrap(run, name: str) -> None:
    """Replace the lineage's bootstrap certificate by one for the same key and names that expired an
    hour ago (certsmith has no clock to turn; its week of validity is too long to wait for)."""
    from cryptography.hazmat.primitives import hashes, serialization
    archive = run.config_dir / "archive" / name
    key = serialization.load_pem_private_key((archive / "privkey1.pem").read_bytes(), None)
    old = load_cert(archive / "cert1.pem")
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(old.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=8)).not_valid_after(now - dt.timedelta(hours=1)))
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    (archive / "cert1.pem").write_bytes(pem)
    (archive / "chain1.pem").write_bytes(pem)
    (archive / "fullchain1.pem").write_bytes(pem + pem)


def test_an_expired_bootstrap_is_refreshed_while_issuance_fails(run_certsmith):
    run = run_certsmith
    result = run.certonly("late.example.com", extra=("--bootstrap-self-signed",), server=DEAD_SERVER)
    assert result.returncode != 0, describe(result)
    age_bootstrap(run, "late.example.com")
    live = run.config_dir / "live" / "late.example.com"
    assert entry(run, "late.example.com")["status"] == "expired"

    failed = run("renew", "--server", DEAD_SERVER)
    assert failed.returncode == 1, describe(failed)
    assert live_version(run, "late.example.com") == 2
    end = load_cert(live / "cert.pem").not_valid_after.replace(tzinfo=dt.timezone.utc)
    assert end > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=6)
    assert is_self_signed(live / "cert.pem")
    assert organization(live / "cert.pem") == "certsmith self-signed bootstrap"
    info = entry(run, "late.example.com")
    assert info["live"] == "self-signed-bootstrap" and info["status"] == "valid", info
    assert info["fallback"]["self_signed"] is False  # nothing asked for one; the bootstrap only stays fresh
    human = run("certificates")
    assert "Live Certificate: self-signed bootstrap" in human.stdout, describe(human)

    # Still fresh: a second failure changes nothing.
    again = run("renew", "--server", DEAD_SERVER)
    assert again.returncode == 1 and live_version(run, "late.example.com") == 2, describe(again)


def test_renewal_away_from_a_user_fallback_names_no_replaced_certificate(certsmith, sandbox, pebble_factory,
                                                                         tmp_path):
    from ari_proxy import AriProxy
    from conftest import CertsmithRunner
    pebble = pebble_factory(validity_seconds=6)
    with AriProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle) as proxy:
        run = CertsmithRunner(certsmith, sandbox, proxy.directory_url, pebble.ca_bundle, pebble.http_port)
        cert, key = write_ca_signed(tmp_path, ["*.mall.example.com"])
        assert load_cert(cert).extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
        result = run.certonly("a.mall.example.com", "b.mall.example.com",
                              extra=("--fallback-cert", str(cert), "--fallback-key", str(key)))
        assert result.returncode == 0, describe(result)
        live = run.config_dir / "live" / "a.mall.example.com"
        wait_until_expired(live / "cert.pem")
        failed = run("renew", "--server", DEAD_SERVER)
        assert failed.returncode == 1, describe(failed)
        assert entry(run, "a.mall.example.com")["live"] == "user-fallback"
        human = run("certificates")
        assert "Live Certificate: user fallback" in human.stdout, describe(human)
        assert load_cert(live / "cert.pem").serial_number == load_cert(cert).serial_number

        orders_before, ari_before = len(proxy.new_orders()), len(proxy.ari_requests())
        back = run("renew")
        assert back.returncode == 0, describe(back)
        assert entry(run, "a.mall.example.com")["live"] == "real"
        assert sans(live / "cert.pem") == {"a.mall.example.com", "b.mall.example.com"}
        orders = proxy.new_orders()[orders_before:]
        assert len(orders) == 1 and "replaces" not in orders[0], orders
        assert len(proxy.ari_requests()) == ari_before, "ARI was asked about the user's certificate"
