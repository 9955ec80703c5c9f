"""A user asks for an OCSP Must-Staple certificate with `--must-staple` (RFC 7633 TLS Feature status_request).

certsmith warns first (Let's Encrypt stopped OCSP in 2025 and refuses Must-Staple; other CAs get a softer
caution), puts the extension in the CSR, records must_staple = True in the renewal conf, and renew asks
for it again.

Pebble 2.4 (Debian) drops the extension: its certificates never carry TLS Feature, whatever the CSR asks.
So profile_proxy.ProfileProxy (offering no profiles) records each finalize CSR and the tests check what
certsmith asked for there (the CSR encoding itself is unit-tested in tests/unit/crypto/csr_test.cpp).
"""

from __future__ import annotations

import pytest
from cryptography import x509

from conftest import CertsmithRunner, describe
from inspect_tree import openssl, parse_renewal_conf
from profile_proxy import ProfileProxy

WARNING = "--must-staple:"


@pytest.fixture
def proxy(pebble):
    proxy = ProfileProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def run(certsmith, sandbox, pebble, proxy) -> CertsmithRunner:
    return CertsmithRunner(certsmith, sandbox, proxy.directory_url, pebble.ca_bundle, pebble.http_port)


def csr_asks_must_staple(der: bytes) -> bool:
    csr = x509.load_der_x509_csr(der)
    try:
        feature = csr.extensions.get_extension_for_class(x509.TLSFeature).value
    except x509.ExtensionNotFound:
        return False
    return x509.TLSFeatureType.status_request in list(feature)


def has_must_staple(cert_path) -> bool:
    text = openssl("x509", "-in", str(cert_path), "-noout", "-text")
    return "TLS Feature" in text and "status_request" in text


def test_must_staple_warns_asks_and_is_kept_on_renew(run, proxy):
    result = run.certonly("staple.example.com", extra=("--must-staple",))
    assert result.returncode == 0, describe(result)
    warnings = [line for line in result.stderr.splitlines() if WARNING in line]
    assert len(warnings) == 1, describe(result)
    assert "OCSP in 2025" in warnings[0]
    assert "will be refused" not in warnings[0]  # Pebble is not Let's Encrypt

    csrs = proxy.finalize_csrs()
    assert len(csrs) == 1 and csr_asks_must_staple(csrs[0])
    assert (run.config_dir / "live" / "staple.example.com" / "cert.pem").exists()
    conf_path = run.config_dir / "renewal" / "staple.example.com.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["must_staple"] == "True"

    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    csrs = proxy.finalize_csrs()
    assert len(csrs) == 2 and csr_asks_must_staple(csrs[1])
    assert (run.config_dir / "archive" / "staple.example.com" / "cert2.pem").exists()
    assert parse_renewal_conf(conf_path)["renewalparams"]["must_staple"] == "True"


def test_without_must_staple_no_extension_and_no_warning(run, proxy):
    result = run.certonly("nostaple.example.com")
    assert result.returncode == 0, describe(result)
    assert WARNING not in result.stderr
    assert not csr_asks_must_staple(proxy.finalize_csrs()[0])
    assert not has_must_staple(run.config_dir / "live" / "nostaple.example.com" / "cert.pem")
    conf = parse_renewal_conf(run.config_dir / "renewal" / "nostaple.example.com.conf")
    assert conf["renewalparams"].get("must_staple", "False") == "False"
