"""Helpers the e2e tests use to look at what certsmith wrote, with openssl as the independent judge."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
from pathlib import Path

LIVE_FILES = ("cert", "chain", "fullchain", "privkey")


def openssl(*args: str, input_text: str | None = None) -> str:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, input=input_text)
    assert result.returncode == 0, f"openssl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def sans(cert: Path) -> set[str]:
    """DNS names of the subjectAltName extension, via `openssl x509 -ext subjectAltName`."""
    out = openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName")
    return set(re.findall(r"DNS:([^,\s]+)", out))


def serial_hex(cert: Path) -> str:
    """Serial as lowercase hex without leading zeros (how certbot prints it)."""
    out = openssl("x509", "-in", str(cert), "-noout", "-serial").strip()
    return out.split("=", 1)[1].lower().lstrip("0") or "0"


def _x509_date(cert: Path, flag: str) -> dt.datetime:
    value = openssl("x509", "-in", str(cert), "-noout", flag).strip().split("=", 1)[1]
    return dt.datetime.strptime(value, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=dt.timezone.utc)


def not_after(cert: Path) -> dt.datetime:
    return _x509_date(cert, "-enddate")


def not_before(cert: Path) -> dt.datetime:
    return _x509_date(cert, "-startdate")


def public_key_of_cert(cert: Path) -> str:
    return openssl("x509", "-in", str(cert), "-noout", "-pubkey")


def public_key_of_key(key: Path) -> str:
    return openssl("pkey", "-in", str(key), "-pubout")


def key_description(key: Path) -> str:
    return openssl("pkey", "-in", str(key), "-noout", "-text")


def verify_chain(cert: Path, chain: Path, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "verify", "-CAfile", str(root), "-untrusted", str(chain), str(cert)],
                          capture_output=True, text=True)


def pem_blocks(path: Path) -> list[str]:
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", path.read_text(), re.S)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def parse_renewal_conf(path: Path) -> dict:
    """A small reader for certbot's configobj renewal files: top-level keys, [section], [[subsection]]."""
    data: dict = {}
    current = data
    section = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\[+)\s*([^\]]+?)\s*\]+", line)
        if m:
            depth, name = len(m.group(1)), m.group(2)
            if depth == 1:
                section = data.setdefault(name, {})
                current = section
            else:
                assert section is not None, f"{path}: subsection {name} outside a section"
                current = section.setdefault(name, {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not a key = value line: {raw!r}"
        current[key.strip()] = _unquote(value.strip())
    return data


def _unquote(value: str) -> str:
    """configobj quotes a value holding quotes, a comma or a # with ' or " (or triple quotes when it holds both)."""
    for quote in ("'''", '"""', "'", '"'):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return value[len(quote):-len(quote)]
    return value


def conf_list(value: str) -> list[str]:
    """configobj list value ("a, b," or "a,") as a list."""
    return [v.strip() for v in value.split(",") if v.strip()]


def snapshot(root: Path, exclude: tuple[Path, ...] = ()) -> dict[str, tuple]:
    """Every path under root (not following symlinks) with type, size and mtime (files only); `exclude` subtrees
    skipped."""
    root = Path(root)
    excluded = {Path(p).resolve() for p in exclude}
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).resolve() not in excluded]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISDIR(st.st_mode):  # a new entry shows up as a path of its own
                result[str(path.relative_to(root))] = (stat.S_IFDIR, 0, 0)
            else:
                result[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
    return result


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file() or p.is_symlink())


def live_version(live_dir: Path, stem: str = "cert") -> int:
    """N of the archive file live_dir/STEM.pem points to (its link text must be ../../archive/NAME/STEMN.pem)."""
    target = os.readlink(Path(live_dir) / f"{stem}.pem")
    m = re.fullmatch(rf"\.\./\.\./archive/[^/]+/{stem}(\d+)\.pem", target)
    assert m, f"{live_dir}/{stem}.pem -> {target}: not certbot's relative archive link"
    return int(m.group(1))


def cert_matches_key(cert: Path, key: Path) -> bool:
    """Whether the certificate's public key is the key's; through python3-cryptography when present (fast, for
    loops that check thousands of times), otherwise the openssl command."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        return public_key_of_cert(cert) == public_key_of_key(key)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cert_key = x509.load_pem_x509_certificate(Path(cert).read_bytes()).public_key().public_bytes(*spki)
    own_key = serialization.load_pem_private_key(Path(key).read_bytes(), password=None).public_key()
    return cert_key == own_key.public_bytes(*spki)


def lineage_problems(config_dir: Path, name: str) -> list[str]:
    """What is wrong with live/NAME as certbot and a web server read it (empty = consistent): all four links
    resolve to the same archive version, cert.pem matches privkey.pem, fullchain.pem = cert.pem + chain.pem,
    and no private key is readable by group or others."""
    live = Path(config_dir) / "live" / name
    problems = []
    versions = set()
    for stem in LIVE_FILES:
        link = live / f"{stem}.pem"
        if not link.is_symlink():
            problems.append(f"{link} is not a symlink")
            continue
        if not link.exists():
            problems.append(f"{link} -> {os.readlink(link)} dangles")
            continue
        try:
            versions.add(live_version(live, stem))
        except AssertionError as e:
            problems.append(str(e))
    if problems:
        return problems
    if len(versions) != 1:
        problems.append(f"live/{name} links point at different versions {sorted(versions)}")
    if (live / "fullchain.pem").read_text() != (live / "cert.pem").read_text() + (live / "chain.pem").read_text():
        problems.append(f"live/{name}/fullchain.pem is not cert.pem + chain.pem")
    try:
        if not cert_matches_key(live / "cert.pem", live / "privkey.pem"):
            problems.append(f"live/{name}/cert.pem does not match privkey.pem")
    except (ValueError, TypeError, AssertionError) as e:  # a truncated or garbled PEM file
        problems.append(f"live/{name}: cannot compare cert.pem and privkey.pem: {e}")
    key_mode = stat.S_IMODE((live / "privkey.pem").stat().st_mode)  # of the archive file it points to
    if key_mode & 0o077:
        problems.append(f"live/{name}/privkey.pem has mode {key_mode:04o}")
    return problems


def certificates_listing_fields(text: str) -> dict[str, dict[str, str]]:
    """The valid lineages of a `certificates` listing (certbot's layout, which certsmith prints too) as
    {name: {field: value}} ("Serial Number", "Key Type", "Domains", "Expiry Date", ...), the expiry without its
    "(VALID: N days)" part (the day count depends on when each tool ran)."""
    lineages = {}
    for block in re.split(r"^\s*Certificate Name: ", text, flags=re.M)[1:]:
        name = block.splitlines()[0].strip()
        fields = dict(re.findall(r"^\s+([A-Za-z ]+): (.*)$", block, re.M))
        if "Expiry Date" in fields:
            fields["Expiry Date"] = re.sub(r"\s*\(.*\)$", "", fields["Expiry Date"])
        lineages[name] = fields
    return lineages


def parse_certificates_listing(text: str) -> dict[str, tuple]:
    """The valid lineages of a `certificates` listing as {name: (domains, expiry, cert path, key path)}: domains
    a tuple in listed order, expiry the printed date as certificates_listing_fields() gives it."""
    return {name: (tuple(fields.get("Domains", "").split()), fields.get("Expiry Date"),
                   fields.get("Certificate Path"), fields.get("Private Key Path"))
            for name, fields in certificates_listing_fields(text).items()}


def archive_versions(config_dir: Path, name: str) -> dict[str, list[int]]:
    """{stem: sorted N of archive/NAME/STEMN.pem} for the four stems."""
    archive = Path(config_dir) / "archive" / name
    versions: dict[str, list[int]] = {stem: [] for stem in LIVE_FILES}
    for path in archive.iterdir():
        m = re.fullmatch(r"(cert|chain|fullchain|privkey)(\d+)\.pem", path.name)
        assert m, f"unexpected file {path} in the archive"
        versions[m.group(1)].append(int(m.group(2)))
    return {stem: sorted(numbers) for stem, numbers in versions.items()}


def key_shape(key: Path) -> str:
    """"rsa-BITS" or "ec-CURVE" (openssl's curve name: prime256v1, secp384r1, ...) of a PEM private key."""
    text = key_description(key)
    m = re.search(r"Private-Key: \((\d+) bit", text)
    assert m, f"{key}: no key size in openssl's description"
    curve = re.search(r"ASN1 OID: (\S+)", text)
    return f"ec-{curve.group(1)}" if curve else f"rsa-{m.group(1)}"
