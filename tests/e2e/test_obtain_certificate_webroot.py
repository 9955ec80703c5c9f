"""A user whose nginx serves a webroot obtains a certificate with --webroot."""

from __future__ import annotations

from conftest import describe
from inspect_tree import conf_list, mode, parse_renewal_conf, sans, verify_chain


def test_webroot_issues_certificate_through_nginx(run_certsmith, pebble, nginx_webroot, trust_files):
    webroot = nginx_webroot.root
    name = "web.example.com"
    result = run_certsmith("certonly", "--webroot", "-w", str(webroot), "-d", name, "-d", "www.web.example.com",
                           "--agree-tos", "--register-unsafely-without-email")
    assert result.returncode == 0, describe(result)
    assert "Successfully received certificate." in result.stdout.splitlines(), describe(result)

    live = run_certsmith.config_dir / "live" / name
    assert sans(live / "cert.pem") == {name, "www.web.example.com"}
    root, _ = trust_files
    verified = verify_chain(live / "cert.pem", live / "chain.pem", root)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Pebble really fetched the challenge files from nginx (one per name) ...
    fetched = [line for line in nginx_webroot.access_lines() if "/.well-known/acme-challenge/" in line]
    assert len([line for line in fetched if '" 200 ' in line]) >= 2, "\n".join(nginx_webroot.access_lines())
    # ... and they are gone afterwards; nothing else in the webroot changed.
    leftovers = [p for p in (webroot / ".well-known").rglob("*") if not p.is_dir()] \
        if (webroot / ".well-known").exists() else []
    assert leftovers == [], f"challenge files left behind: {leftovers}"
    assert (webroot / "index.html").read_text() == "hello\n"
    if (webroot / ".well-known" / "acme-challenge").exists():
        assert mode(webroot / ".well-known" / "acme-challenge") & 0o005 == 0o005, "nginx must be able to read it"

    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{name}.conf")
    params = conf["renewalparams"]
    assert params["authenticator"] == "webroot"
    assert conf_list(params["webroot_path"]) == [str(webroot)]
    assert params["webroot_map"] == {name: str(webroot), "www.web.example.com": str(webroot)}


def test_webroot_cleanup_keeps_files_it_did_not_write(run_certsmith, pebble, nginx_webroot):
    webroot = nginx_webroot.root
    challenge_dir = webroot / ".well-known" / "acme-challenge"
    challenge_dir.mkdir(parents=True)
    (challenge_dir / "someone-elses-file").write_text("keep me\n")
    result = run_certsmith("certonly", "--webroot", "-w", str(webroot), "-d", "shared-web.example.com",
                           "--agree-tos", "--register-unsafely-without-email")
    assert result.returncode == 0, describe(result)
    assert (run_certsmith.config_dir / "live" / "shared-web.example.com" / "fullchain.pem").is_file()
    assert sorted(p.name for p in challenge_dir.iterdir()) == ["someone-elses-file"]
    assert (challenge_dir / "someone-elses-file").read_text() == "keep me\n"
