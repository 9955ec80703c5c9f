"""A user picks the key: RSA 2048/3072/4096 or ECDSA P-256/P-384, reuses it across renewals (--reuse-key) or
replaces it (--new-key). openssl reads the keys; the renewal conf records the choice as certbot does."""

from __future__ import annotations

import re

import pytest

from conftest import describe
from inspect_tree import key_description, lineage_problems, parse_renewal_conf, public_key_of_cert


def _conf(run_certsmith, name):
    return parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{name}.conf")["renewalparams"]


def _key_bits_and_curve(key) -> tuple[int, str | None]:
    text = key_description(key)
    bits = int(re.search(r"Private-Key: \((\d+) bit", text).group(1))
    curve = re.search(r"NIST CURVE: (\S+)", text)
    return bits, curve.group(1) if curve else None


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_rsa_key_of_the_size_asked(run_certsmith, bits):
    name = f"rsa{bits}.example.com"
    result = run_certsmith.certonly(name, extra=("--key-type", "rsa", "--rsa-key-size", str(bits)))
    assert result.returncode == 0, describe(result)
    key = run_certsmith.config_dir / "live" / name / "privkey.pem"
    assert "modulus:" in key_description(key), "not an RSA key"
    assert _key_bits_and_curve(key) == (bits, None)
    assert lineage_problems(run_certsmith.config_dir, name) == []
    conf = _conf(run_certsmith, name)
    assert conf["key_type"] == "rsa" and conf["rsa_key_size"] == str(bits), conf
    assert "elliptic_curve" not in conf, conf


@pytest.mark.parametrize("curve, nist, bits", [("secp256r1", "P-256", 256), ("secp384r1", "P-384", 384)])
def test_ecdsa_key_on_the_curve_asked(run_certsmith, curve, nist, bits):
    name = f"{curve}.example.com"
    result = run_certsmith.certonly(name, extra=("--key-type", "ecdsa", "--elliptic-curve", curve))
    assert result.returncode == 0, describe(result)
    key = run_certsmith.config_dir / "live" / name / "privkey.pem"
    assert _key_bits_and_curve(key) == (bits, nist)
    assert lineage_problems(run_certsmith.config_dir, name) == []
    conf = _conf(run_certsmith, name)
    assert conf["key_type"] == "ecdsa" and conf["elliptic_curve"] == curve, conf
    assert "rsa_key_size" not in conf, conf


def test_default_key_is_ecdsa_p256(run_certsmith):
    assert run_certsmith.certonly("default-key.example.com").returncode == 0
    key = run_certsmith.config_dir / "live" / "default-key.example.com" / "privkey.pem"
    assert _key_bits_and_curve(key) == (256, "P-256")


def test_reuse_key_keeps_the_public_key_through_certonly_and_renew(run_certsmith):
    name = "reuse.example.com"
    first = run_certsmith.certonly(name, extra=("--reuse-key",))
    assert first.returncode == 0, describe(first)
    assert _conf(run_certsmith, name)["reuse_key"] == "True"

    second = run_certsmith.certonly(name, extra=("--reuse-key", "--force-renewal"))
    assert second.returncode == 0, describe(second)
    archive = run_certsmith.config_dir / "archive" / name
    assert public_key_of_cert(archive / "cert2.pem") == public_key_of_cert(archive / "cert1.pem")
    assert (archive / "privkey2.pem").read_bytes() == (archive / "privkey1.pem").read_bytes()

    third = run_certsmith("renew", "--force-renewal", "--cert-name", name)
    assert third.returncode == 0, describe(third)
    assert public_key_of_cert(archive / "cert3.pem") == public_key_of_cert(archive / "cert1.pem")
    assert _conf(run_certsmith, name)["reuse_key"] == "True", "renew dropped reuse_key"
    assert lineage_problems(run_certsmith.config_dir, name) == []


def test_new_key_replaces_the_key_and_drops_reuse_key(run_certsmith):
    name = "newkey.example.com"
    assert run_certsmith.certonly(name, extra=("--reuse-key",)).returncode == 0
    result = run_certsmith.certonly(name, extra=("--new-key", "--force-renewal"))
    assert result.returncode == 0, describe(result)
    archive = run_certsmith.config_dir / "archive" / name
    assert public_key_of_cert(archive / "cert2.pem") != public_key_of_cert(archive / "cert1.pem")
    assert "reuse_key" not in _conf(run_certsmith, name), "certbot's certonly records only what was given"

    renewed = run_certsmith("renew", "--force-renewal", "--cert-name", name)
    assert renewed.returncode == 0, describe(renewed)
    assert public_key_of_cert(archive / "cert3.pem") != public_key_of_cert(archive / "cert2.pem")


def test_reuse_key_with_new_key_makes_a_new_key_then_reuses_it(run_certsmith):
    """certbot: "Combining --new-key and --reuse-key will result in the private key being replaced and
    then reused in future renewals"."""
    name = "both.example.com"
    assert run_certsmith.certonly(name, extra=("--reuse-key",)).returncode == 0
    result = run_certsmith.certonly(name, extra=("--reuse-key", "--new-key", "--force-renewal"))
    assert result.returncode == 0, describe(result)
    archive = run_certsmith.config_dir / "archive" / name
    assert public_key_of_cert(archive / "cert2.pem") != public_key_of_cert(archive / "cert1.pem")
    assert _conf(run_certsmith, name)["reuse_key"] == "True"

    renewed = run_certsmith("renew", "--force-renewal", "--cert-name", name)
    assert renewed.returncode == 0, describe(renewed)
    assert public_key_of_cert(archive / "cert3.pem") == public_key_of_cert(archive / "cert2.pem")


def test_renew_new_key_replaces_a_reused_key_once(run_certsmith):
    """renew --new-key: a fresh key this time; the conf keeps reuse_key, so the next renewal reuses it."""
    name = "renew-new-key.example.com"
    assert run_certsmith.certonly(name, extra=("--reuse-key",)).returncode == 0
    renewed = run_certsmith("renew", "--force-renewal", "--cert-name", name, "--new-key")
    assert renewed.returncode == 0, describe(renewed)
    archive = run_certsmith.config_dir / "archive" / name
    assert public_key_of_cert(archive / "cert2.pem") != public_key_of_cert(archive / "cert1.pem")
    assert _conf(run_certsmith, name)["reuse_key"] == "True"
    again = run_certsmith("renew", "--force-renewal", "--cert-name", name)
    assert again.returncode == 0, describe(again)
    assert public_key_of_cert(archive / "cert3.pem") == public_key_of_cert(archive / "cert2.pem")


def test_an_rsa_lineage_stays_rsa_when_no_key_type_is_given(run_certsmith):
    name = "stay-rsa.example.com"
    assert run_certsmith.certonly(name, extra=("--key-type", "rsa")).returncode == 0
    result = run_certsmith.certonly(name, extra=("--force-renewal",))
    assert result.returncode == 0, describe(result)
    key2 = run_certsmith.config_dir / "archive" / name / "privkey2.pem"
    assert _key_bits_and_curve(key2) == (2048, None)
    assert _conf(run_certsmith, name)["key_type"] == "rsa"


def test_changing_the_key_type_needs_cert_name(run_certsmith):
    name = "switch.example.com"
    assert run_certsmith.certonly(name).returncode == 0
    refused = run_certsmith.certonly(name, extra=("--key-type", "rsa", "--force-renewal"))
    assert refused.returncode == 2, describe(refused)
    line, = refused.stderr.strip().splitlines()
    assert "--cert-name" in line and "--key-type" in line and "ECDSA" in line and "RSA" in line, line
    assert not (run_certsmith.config_dir / "archive" / name / "cert2.pem").exists()

    switched = run_certsmith.certonly(name, extra=("--key-type", "rsa", "--cert-name", name, "--force-renewal"))
    assert switched.returncode == 0, describe(switched)
    key2 = run_certsmith.config_dir / "archive" / name / "privkey2.pem"
    assert _key_bits_and_curve(key2) == (2048, None)
    assert _conf(run_certsmith, name)["key_type"] == "rsa"


def test_a_reused_key_cannot_silently_change_kind(run_certsmith):
    """certbot's _avoid_reuse_key_conflicts: with reuse_key set, another curve (or size, or type) needs --new-key."""
    name = "reuse-curve.example.com"
    assert run_certsmith.certonly(name, extra=("--reuse-key",)).returncode == 0
    refused = run_certsmith.certonly(name, extra=("--elliptic-curve", "secp384r1", "--force-renewal"))
    assert refused.returncode == 2, describe(refused)
    line, = refused.stderr.strip().splitlines()
    assert "--elliptic-curve" in line and "--reuse-key" in line and "--new-key" in line, line
    assert not (run_certsmith.config_dir / "archive" / name / "cert2.pem").exists()

    changed = run_certsmith.certonly(name, extra=("--elliptic-curve", "secp384r1", "--force-renewal", "--new-key"))
    assert changed.returncode == 0, describe(changed)
    assert _key_bits_and_curve(run_certsmith.config_dir / "archive" / name / "privkey2.pem") == (384, "P-384")


def test_a_reused_key_follows_a_size_changed_in_the_conf(run_certsmith):
    """reuse_key keeps the key only while it is the kind the conf asks for: a new rsa_key_size (not only a new
    key_type) makes a new key, which later renewals reuse."""
    name = "reuse-resize.example.com"
    assert run_certsmith.certonly(name, extra=("--key-type", "rsa", "--reuse-key")).returncode == 0
    conf = run_certsmith.config_dir / "renewal" / f"{name}.conf"
    conf.write_text(conf.read_text().replace("rsa_key_size = 2048", "rsa_key_size = 3072"))
    assert _conf(run_certsmith, name)["rsa_key_size"] == "3072"

    result = run_certsmith("renew", "--force-renewal")
    assert result.returncode == 0, describe(result)
    archive = run_certsmith.config_dir / "archive" / name
    assert _key_bits_and_curve(archive / "privkey2.pem") == (3072, None)
    result = run_certsmith("renew", "--force-renewal")
    assert result.returncode == 0, describe(result)
    assert (archive / "privkey3.pem").read_bytes() == (archive / "privkey2.pem").read_bytes()
