"""A user whose clients trust only one of a CA's roots asks for the chain that leads to it with
`--preferred-chain "ROOT NAME"` (certbot's rule: the issuer CN of the topmost certificate of the chain).

Pebble with PEBBLE_ALTERNATE_ROOTS=1 has two roots; its management port names them (/roots/0, /roots/1) and
serves the second chain as a Link rel="alternate".
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from conftest import describe
from inspect_tree import parse_renewal_conf, pem_blocks, verify_chain

PEBBLE_OPTIONS = {"extra_env": {"PEBBLE_ALTERNATE_ROOTS": "1"}}
NO_MATCH = "no chain from the CA matched this issuer"


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else ""


def root_cn(pebble, index: int) -> str:
    return common_name(x509.load_pem_x509_certificate(pebble.root_pem(index).encode()).subject)


def topmost_issuer_cn(fullchain: Path) -> str:
    top = x509.load_pem_x509_certificate(pem_blocks(fullchain)[-1].encode())
    return common_name(top.issuer)


def write_root(pebble, index: int, directory: Path) -> Path:
    path = directory / f"root-{index}.pem"
    path.write_text(pebble.root_pem(index))
    return path


def test_pebble_has_two_roots_with_different_names(pebble):
    """The premise of the other tests."""
    assert root_cn(pebble, 0) != root_cn(pebble, 1)


def test_default_root_asked_for_keeps_the_default_chain(run_certsmith, pebble, tmp_path):
    wanted = root_cn(pebble, 0)
    result = run_certsmith.certonly("chain-default.example.com", extra=("--preferred-chain", wanted))
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "chain-default.example.com"
    assert topmost_issuer_cn(live / "fullchain.pem") == wanted
    assert verify_chain(live / "cert.pem", live / "chain.pem", write_root(pebble, 0, tmp_path)).returncode == 0
    assert NO_MATCH not in result.stderr
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "chain-default.example.com.conf")
    assert conf["renewalparams"]["preferred_chain"] == wanted


def test_alternate_root_asked_for_gets_the_alternate_chain_and_renew_keeps_it(run_certsmith, pebble, tmp_path):
    wanted = root_cn(pebble, 1)
    result = run_certsmith.certonly("chain-alt.example.com", extra=("--preferred-chain", wanted))
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "chain-alt.example.com"
    assert topmost_issuer_cn(live / "fullchain.pem") == wanted
    root1 = write_root(pebble, 1, tmp_path)
    verified = verify_chain(live / "cert.pem", live / "chain.pem", root1)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert pem_blocks(live / "fullchain.pem") == pem_blocks(live / "cert.pem") + pem_blocks(live / "chain.pem")
    conf_path = run_certsmith.config_dir / "renewal" / "chain-alt.example.com.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["preferred_chain"] == wanted

    # renew reads the choice back from the renewal conf.
    renewed = run_certsmith("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    archive = run_certsmith.config_dir / "archive" / "chain-alt.example.com"
    assert (archive / "fullchain2.pem").exists(), describe(renewed)
    assert topmost_issuer_cn(archive / "fullchain2.pem") == wanted
    assert topmost_issuer_cn(live / "fullchain.pem") == wanted
    assert verify_chain(live / "cert.pem", live / "chain.pem", root1).returncode == 0
    assert parse_renewal_conf(conf_path)["renewalparams"]["preferred_chain"] == wanted


def test_unknown_root_falls_back_to_the_default_chain_with_a_warning(run_certsmith, pebble):
    result = run_certsmith.certonly("chain-none.example.com", extra=("--preferred-chain", "No Such Root X9"))
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "chain-none.example.com"
    assert topmost_issuer_cn(live / "fullchain.pem") == root_cn(pebble, 0)
    assert NO_MATCH in result.stderr, describe(result)
    assert "'No Such Root X9'" in result.stderr


def test_without_preferred_chain_the_default_chain_and_no_conf_key(run_certsmith, pebble):
    result = run_certsmith.certonly("chain-plain.example.com")
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "chain-plain.example.com"
    assert topmost_issuer_cn(live / "fullchain.pem") == root_cn(pebble, 0)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "chain-plain.example.com.conf")
    assert not conf["renewalparams"].get("preferred_chain")
