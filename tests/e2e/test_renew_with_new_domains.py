"""A user changes the names a lineage holds with --cert-name and new -d names. certbot asks first (a yes
at the terminal, or -n, goes ahead); --renew-with-new-domains is certbot's way of saying yes up front: the
names are replaced and the certificate renewed now, without a question, even from a script with no -n."""

from __future__ import annotations

import os
import pty
import subprocess

from conftest import describe
from inspect_tree import archive_versions, lineage_problems, parse_renewal_conf, sans, snapshot


def _certonly_args(*domains: str, extra: tuple = ()) -> list[str]:
    args = ["certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email"]
    for d in domains:
        args += ["-d", d]
    return [*args, *extra]


def _run_at_a_terminal(run_certsmith, args: list[str], answer: str):
    """certsmith without -n, its stdin a terminal on which the user has typed `answer`."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        return subprocess.run(run_certsmith.argv(*args, non_interactive=False), cwd=run_certsmith.sandbox,
                              env=run_certsmith.environment(), stdin=slave, capture_output=True, text=True,
                              timeout=120)
    finally:
        os.close(slave)
        os.close(master)


def _issue_site(run_certsmith) -> None:
    first = run_certsmith.certonly("one.example.com", "www.one.example.com", extra=("--cert-name", "site"))
    assert first.returncode == 0, describe(first)


def test_without_a_terminal_or_n_the_question_names_renew_with_new_domains(run_certsmith):
    _issue_site(run_certsmith)
    before = snapshot(run_certsmith.config_dir)
    result = run_certsmith(*_certonly_args("two.example.com", extra=("--cert-name", "site")),
                           non_interactive=False)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert "-n" in lines[0] and "--renew-with-new-domains" in lines[0], lines[0]
    assert snapshot(run_certsmith.config_dir) == before, "the tree changed"


def test_renew_with_new_domains_replaces_the_names_now_without_asking(run_certsmith):
    _issue_site(run_certsmith)
    # No -n and no terminal: only the flag lets certonly go on without a question.
    result = run_certsmith(*_certonly_args("two.example.com", "one.example.com",
                                           extra=("--cert-name", "site", "--renew-with-new-domains")),
                           non_interactive=False)
    assert result.returncode == 0, describe(result)
    assert "Did you intend to make this change?" not in result.stdout, describe(result)
    assert "Successfully received certificate." in result.stdout.splitlines(), describe(result)

    archive = run_certsmith.config_dir / "archive" / "site"
    assert sans(archive / "cert1.pem") == {"one.example.com", "www.one.example.com"}
    assert sans(archive / "cert2.pem") == {"one.example.com", "two.example.com"}
    assert archive_versions(run_certsmith.config_dir, "site")["cert"] == [1, 2]
    assert sans(run_certsmith.config_dir / "live" / "site" / "cert.pem") == {"one.example.com", "two.example.com"}
    assert sorted(p.name for p in (run_certsmith.config_dir / "live").iterdir() if p.is_dir()) == ["site"]
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "site.conf")
    assert "renew_with_new_domains" not in conf and "renew_with_new_domains" not in conf.get("renewalparams", {})
    assert lineage_problems(run_certsmith.config_dir, "site") == []


def test_at_a_terminal_renew_with_new_domains_asks_nothing(run_certsmith):
    _issue_site(run_certsmith)
    # Had certsmith asked, the "n" waiting on the terminal would have refused the change.
    result = _run_at_a_terminal(
        run_certsmith, _certonly_args("three.example.com", extra=("--cert-name", "site", "--renew-with-new-domains")),
        "n\n")
    assert result.returncode == 0, describe(result)
    assert "Did you intend to make this change?" not in result.stdout, describe(result)
    assert sans(run_certsmith.config_dir / "archive" / "site" / "cert2.pem") == {"three.example.com"}


def test_renew_with_new_domains_and_the_same_names_keeps_a_certificate_not_due(run_certsmith):
    """certbot: the flag answers only the question of other names; the same names are kept until due."""
    _issue_site(run_certsmith)
    before = snapshot(run_certsmith.config_dir)
    result = run_certsmith.certonly("one.example.com", "www.one.example.com",
                                    extra=("--cert-name", "site", "--renew-with-new-domains"))
    assert result.returncode == 0, describe(result)
    assert "Certificate not yet due for renewal; no action taken." in result.stdout.splitlines(), describe(result)
    assert snapshot(run_certsmith.config_dir) == before
