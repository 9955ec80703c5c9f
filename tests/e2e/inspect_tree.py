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
        current[key.strip()] = value.strip()
    return data


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
