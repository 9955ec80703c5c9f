"""A user brings their own CSR (certonly --csr): the certificate, chain and full chain land in plain files, as
certbot writes them; no lineage, no renewal conf, no private key. Hostile CSR files are refused up front."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import describe
from inspect_tree import mode, pem_blocks, public_key_of_cert, public_key_of_key, sans, verify_chain


def _make_csr(directory: Path, name: str, subject: str, sans_ext: str | None, key: str = "ec") -> tuple[Path, Path]:
    """An openssl-made CSR (PEM) and its key: openssl, not certsmith, is the independent author."""
    key_path, csr_path = directory / f"{name}.key", directory / f"{name}.csr"
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec" else ["-newkey", "rsa:2048"]
    argv = ["openssl", "req", "-new", *newkey, "-nodes", "-keyout", str(key_path), "-subj", subject,
            "-out", str(csr_path)]
    if sans_ext:
        argv += ["-addext", f"subjectAltName={sans_ext}"]
    subprocess.run(argv, check=True, capture_output=True)
    return csr_path, key_path


def _to_der(csr_pem: Path) -> Path:
    der = csr_pem.with_suffix(".der")
    subprocess.run(["openssl", "req", "-in", str(csr_pem), "-outform", "DER", "-out", str(der)], check=True,
                   capture_output=True)
    return der


def _csr_run(run_certsmith, csr: Path, *extra: str, domains: tuple = ()):
    args = ["certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email", "--csr", str(csr)]
    for d in domains:
        args += ["-d", d]
    return run_certsmith(*args, *extra)


def _assert_no_lineage(run_certsmith):
    for sub in ("live", "archive", "renewal"):
        d = run_certsmith.config_dir / sub
        assert not d.exists() or not any(d.iterdir()), f"{d} is not empty"


def _outputs(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".pem") and p.name[:4].isdigit())


def test_csr_with_paths_writes_cert_chain_and_fullchain_there(run_certsmith, sandbox, trust_files):
    csr, key = _make_csr(sandbox, "site", "/CN=csr.example.com", "DNS:csr.example.com,DNS:www.csr.example.com")
    out = sandbox / "out"
    out.mkdir()
    result = _csr_run(run_certsmith, csr, "--cert-path", str(out / "c.pem"), "--chain-path", str(out / "ch.pem"),
                      "--fullchain-path", str(out / "fc.pem"))
    assert result.returncode == 0, describe(result)
    lines = result.stdout.splitlines()
    assert "Successfully received certificate." in lines, describe(result)
    assert f"Full certificate chain is saved at: {out / 'fc.pem'}" in lines, describe(result)

    assert sans(out / "c.pem") == {"csr.example.com", "www.csr.example.com"}
    assert public_key_of_cert(out / "c.pem") == public_key_of_key(key), "the certificate is not for the CSR's key"
    assert (out / "fc.pem").read_text() == (out / "c.pem").read_text() + (out / "ch.pem").read_text()
    assert len(pem_blocks(out / "c.pem")) == 1
    root, _ = trust_files
    verified = verify_chain(out / "c.pem", out / "ch.pem", root)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for name in ("c.pem", "ch.pem", "fc.pem"):
        assert mode(out / name) == 0o644
    assert sorted(p.name for p in out.iterdir()) == ["c.pem", "ch.pem", "fc.pem"], "a temp file was left"
    _assert_no_lineage(run_certsmith)


def test_der_csr_without_paths_gets_numbered_files_and_never_overwrites(run_certsmith, sandbox):
    csr, key = _make_csr(sandbox, "der", "/CN=der.example.com", "DNS:der.example.com")
    der = _to_der(csr)
    first = _csr_run(run_certsmith, der)
    assert first.returncode == 0, describe(first)
    assert _outputs(sandbox) == ["0000_cert.pem", "0000_chain.pem", "0000_fullchain.pem"]
    first_cert = (sandbox / "0000_cert.pem").read_bytes()
    assert public_key_of_cert(sandbox / "0000_cert.pem") == public_key_of_key(key)

    second = _csr_run(run_certsmith, der)
    assert second.returncode == 0, describe(second)
    assert _outputs(sandbox) == ["0000_cert.pem", "0000_chain.pem", "0000_fullchain.pem",
                                 "0001_cert.pem", "0001_chain.pem", "0001_fullchain.pem"]
    assert (sandbox / "0000_cert.pem").read_bytes() == first_cert
    _assert_no_lineage(run_certsmith)


def test_an_existing_cert_path_is_refused_before_ordering(run_certsmith, sandbox):
    csr, _ = _make_csr(sandbox, "exists", "/CN=exists.example.com", "DNS:exists.example.com")
    taken = sandbox / "taken.pem"
    taken.write_text("mine\n")
    result = _csr_run(run_certsmith, csr, "--cert-path", str(taken))
    assert result.returncode == 2, describe(result)
    line, = result.stderr.strip().splitlines()
    assert line.startswith("certsmith: error: ") and "already exists" in line, describe(result)
    assert taken.read_text() == "mine\n"
    assert _outputs(sandbox) == []


def test_domains_must_be_names_of_the_csr(run_certsmith, sandbox):
    csr, _ = _make_csr(sandbox, "pair", "/CN=pair.example.com", "DNS:pair.example.com,DNS:b.pair.example.com")
    other = _csr_run(run_certsmith, csr, domains=("other.example.com",))
    assert other.returncode == 2, describe(other)
    line, = other.stderr.strip().splitlines()
    assert "Inconsistent domain requests" in line and "other.example.com" in line, describe(other)
    assert _outputs(sandbox) == []

    subset = _csr_run(run_certsmith, csr, domains=("b.pair.example.com",))
    assert subset.returncode == 0, describe(subset)
    assert sans(sandbox / "0000_cert.pem") == {"pair.example.com", "b.pair.example.com"}


def _hostile_files(directory: Path) -> dict[str, Path]:
    good, _ = _make_csr(directory, "base", "/CN=hostile.example.com", "DNS:hostile.example.com", key="rsa")
    text = good.read_text()
    files = {}
    files["truncated"] = directory / "truncated.csr"
    files["truncated"].write_text(text[: len(text) // 2])
    files["garbage"] = directory / "garbage.csr"
    files["garbage"].write_bytes(bytes(range(256)) * 4)
    files["huge"] = directory / "huge.csr"
    files["huge"].write_text(text * 200)  # ~200 KB, far past any real CSR
    der = bytearray(_to_der(good).read_bytes())
    der[-1] ^= 0x01  # last byte of the RSA signature: still parses, no longer verifies
    files["bad signature"] = directory / "badsig.der"
    files["bad signature"].write_bytes(bytes(der))
    files["trailing bytes"] = directory / "trailing.der"
    files["trailing bytes"].write_bytes(_to_der(good).read_bytes() + b"\x00junk")
    files["no names"], _ = _make_csr(directory, "nonames", "/O=No Names Inc", None)
    files["bad name"], _ = _make_csr(directory, "badname", "/CN=bad name.example.com", None)
    files["empty"] = directory / "empty.csr"
    files["empty"].write_bytes(b"")
    files["missing"] = directory / "does-not-exist.csr"
    return files


HOSTILE = ["truncated", "garbage", "huge", "bad signature", "trailing bytes", "no names", "bad name", "empty",
           "missing"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_csr_file_is_refused_with_one_line_and_nothing_written(run_certsmith, sandbox, kind):
    csr = _hostile_files(sandbox)[kind]
    result = _csr_run(run_certsmith, csr)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert _outputs(sandbox) == []
    _assert_no_lineage(run_certsmith)
    assert not (run_certsmith.config_dir / "accounts").exists(), "an account was registered for a refused CSR"


def test_wildcard_csr_over_http01_points_to_dns01(run_certsmith, sandbox):
    csr, _ = _make_csr(sandbox, "wild", "/CN=*.wild.example.com", "DNS:*.wild.example.com")
    result = _csr_run(run_certsmith, csr)
    assert result.returncode == 2, describe(result)
    line, = result.stderr.strip().splitlines()
    assert "dns-01" in line, describe(result)
    assert _outputs(sandbox) == []


def test_csr_with_an_ip_address(run_certsmith, sandbox):
    csr, key = _make_csr(sandbox, "ip", "/CN=ip-csr.example.com", "DNS:ip-csr.example.com,IP:127.0.0.1")
    result = _csr_run(run_certsmith, csr)
    assert result.returncode == 0, describe(result)
    text = subprocess.run(["openssl", "x509", "-in", str(sandbox / "0000_cert.pem"), "-noout", "-ext",
                           "subjectAltName"], capture_output=True, text=True, check=True).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:ip-csr.example.com" in text, text
    assert public_key_of_cert(sandbox / "0000_cert.pem") == public_key_of_key(key)


def test_csr_dry_run_writes_nothing(run_certsmith, sandbox):
    csr, _ = _make_csr(sandbox, "dry", "/CN=dry-csr.example.com", "DNS:dry-csr.example.com")
    result = _csr_run(run_certsmith, csr, "--dry-run")
    assert result.returncode == 0, describe(result)
    assert "The dry run was successful." in result.stdout.splitlines(), describe(result)
    assert _outputs(sandbox) == []
    _assert_no_lineage(run_certsmith)


def test_a_chain_path_named_like_the_default_cert_moves_the_defaults_on(run_certsmith, sandbox):
    csr, key = _make_csr(sandbox, "clash", "/CN=clash.example.com", "DNS:clash.example.com")
    result = _csr_run(run_certsmith, csr, "--chain-path", "./0000_cert.pem")
    assert result.returncode == 0, describe(result)
    assert _outputs(sandbox) == ["0000_cert.pem", "0001_cert.pem", "0001_fullchain.pem"]
    assert public_key_of_cert(sandbox / "0001_cert.pem") == public_key_of_key(key)
    assert pem_blocks(sandbox / "0000_cert.pem") == pem_blocks(sandbox / "0001_fullchain.pem")[1:]
    _assert_no_lineage(run_certsmith)


def test_csr_with_an_ipv6_common_name(run_certsmith, sandbox):
    csr, key = _make_csr(sandbox, "ip6", "/CN=::1", "IP:::1")
    result = _csr_run(run_certsmith, csr, "--dry-run")
    assert "is not a host name" not in result.stderr, describe(result)
    assert result.returncode == 0, describe(result)
