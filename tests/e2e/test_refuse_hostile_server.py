"""A user's CA (or something between) sends a challenge token that is a path; certsmith refuses it."""

from __future__ import annotations

import pytest

from conftest import describe
from hostile_proxy import HostileProxy, token_rewriter
from inspect_tree import snapshot

HOSTILE_TOKENS = ["../../../evil", "x/../../../../evil", "..", "a/b"]


@pytest.fixture
def hostile_server(pebble, request):
    proxy = HostileProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle,
                         token_rewriter(request.param))
    proxy.start()
    yield proxy
    proxy.stop()


def _assert_refused(result, run_certsmith, proxy, name):
    assert proxy.rewritten > 0, "the proxy never saw an authorization to rewrite"
    assert result.returncode in (4, 5), describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert "token" in lines[0].lower(), "the error should say the token is the problem\n" + describe(result)
    assert not (run_certsmith.config_dir / "live" / name).exists()
    assert not (run_certsmith.config_dir / "renewal" / f"{name}.conf").exists()


@pytest.mark.parametrize("hostile_server", HOSTILE_TOKENS, indirect=True)
def test_webroot_refuses_path_token(run_certsmith, hostile_server, sandbox, tmp_path):
    site = tmp_path / "srv" / "site"
    webroot = site / "www"
    webroot.mkdir(parents=True)
    excluded = (run_certsmith.config_dir, run_certsmith.work_dir, run_certsmith.logs_dir, webroot)
    before = snapshot(tmp_path, exclude=excluded)
    name = "hostile-web.example.com"
    result = run_certsmith("certonly", "--webroot", "-w", str(webroot), "-d", name, "--agree-tos",
                           "--register-unsafely-without-email", server=hostile_server.directory_url)
    _assert_refused(result, run_certsmith, hostile_server, name)
    assert snapshot(tmp_path, exclude=excluded) == before, "something was written outside the webroot"
    assert not any(p.name == "evil" for p in tmp_path.rglob("*")), "a file named by the token exists"
    leftovers = [p for p in webroot.rglob("*") if not p.is_dir()]
    assert leftovers == [], f"files left in the webroot: {leftovers}"


@pytest.mark.parametrize("hostile_server", HOSTILE_TOKENS[:1], indirect=True)
def test_standalone_refuses_path_token(run_certsmith, hostile_server, tmp_path):
    name = "hostile-standalone.example.com"
    result = run_certsmith.certonly(name, server=hostile_server.directory_url)
    _assert_refused(result, run_certsmith, hostile_server, name)
    assert not any(p.name == "evil" for p in tmp_path.rglob("*"))
