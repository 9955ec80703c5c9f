"""A user adds names to a certificate (--expand), asks for a second one (--duplicate), or renames what a
lineage holds (--cert-name): certbot's rules for which lineage certonly continues."""

from __future__ import annotations

import os
import pty
import subprocess

from conftest import describe
from inspect_tree import lineage_problems, parse_renewal_conf, sans, snapshot


def _lineages(run_certsmith) -> list[str]:
    live = run_certsmith.config_dir / "live"
    return sorted(p.name for p in live.iterdir() if p.is_dir()) if live.is_dir() else []


def _assert_one_line_usage_error(result):
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    return lines[0]


def test_expand_adds_the_new_name_as_version_2_of_the_same_lineage(run_certsmith):
    first = run_certsmith.certonly("grow.example.com")
    assert first.returncode == 0, describe(first)

    second = run_certsmith.certonly("grow.example.com", "www.grow.example.com", extra=("--expand",))
    assert second.returncode == 0, describe(second)
    assert "Successfully received certificate." in second.stdout.splitlines(), describe(second)

    archive = run_certsmith.config_dir / "archive" / "grow.example.com"
    assert sans(archive / "cert1.pem") == {"grow.example.com"}
    assert sans(archive / "cert2.pem") == {"grow.example.com", "www.grow.example.com"}
    live = run_certsmith.config_dir / "live" / "grow.example.com"
    assert os.readlink(live / "cert.pem") == "../../archive/grow.example.com/cert2.pem"
    assert _lineages(run_certsmith) == ["grow.example.com"], "a new lineage was made instead"
    assert sorted(p.name for p in (run_certsmith.config_dir / "renewal").iterdir()) == ["grow.example.com.conf"]
    assert lineage_problems(run_certsmith.config_dir, "grow.example.com") == []


def test_without_expand_a_subset_lineage_stops_with_a_hint_and_changes_nothing(run_certsmith):
    first = run_certsmith.certonly("subset.example.com")
    assert first.returncode == 0, describe(first)
    before = snapshot(run_certsmith.config_dir)

    second = run_certsmith.certonly("subset.example.com", "api.subset.example.com")
    line = _assert_one_line_usage_error(second)
    assert "Missing command line flag" in line and "(You can set this with the --expand flag)" in line, line
    assert "subset.example.com.conf" in line and "api.subset.example.com" in line, line
    assert snapshot(run_certsmith.config_dir) == before, "the tree changed"


def test_force_renewal_expands_as_certbot_does(run_certsmith):
    """certbot treats --force-renewal (renew_by_default) as the answer 'Expand'."""
    assert run_certsmith.certonly("forced.example.com").returncode == 0
    result = run_certsmith.certonly("forced.example.com", "b.forced.example.com", extra=("--force-renewal",))
    assert result.returncode == 0, describe(result)
    assert sans(run_certsmith.config_dir / "archive" / "forced.example.com" / "cert2.pem") == {
        "forced.example.com", "b.forced.example.com"}
    assert _lineages(run_certsmith) == ["forced.example.com"]


def test_expand_picks_the_largest_subset_lineage(run_certsmith):
    assert run_certsmith.certonly("big.example.com").returncode == 0
    pair = run_certsmith.certonly("big.example.com", "a.big.example.com", extra=("--duplicate",))
    assert pair.returncode == 0, describe(pair)
    assert _lineages(run_certsmith) == ["big.example.com", "big.example.com-0001"]

    result = run_certsmith.certonly("big.example.com", "a.big.example.com", "b.big.example.com",
                                    extra=("--expand",))
    assert result.returncode == 0, describe(result)
    archive = run_certsmith.config_dir / "archive"
    assert sans(archive / "big.example.com-0001" / "cert2.pem") == {
        "big.example.com", "a.big.example.com", "b.big.example.com"}
    assert not (archive / "big.example.com" / "cert2.pem").exists(), "the smaller lineage was expanded"


def test_duplicate_makes_a_second_lineage_and_leaves_the_first_alone(run_certsmith):
    names = ("twin.example.com", "www.twin.example.com")
    assert run_certsmith.certonly(*names).returncode == 0
    first_lineage = {
        sub: snapshot(run_certsmith.config_dir / sub / "twin.example.com") for sub in ("live", "archive")}
    first_conf = (run_certsmith.config_dir / "renewal" / "twin.example.com.conf").read_bytes()

    result = run_certsmith.certonly(*names, extra=("--duplicate",))
    assert result.returncode == 0, describe(result)
    assert "Successfully received certificate." in result.stdout.splitlines(), describe(result)
    assert _lineages(run_certsmith) == ["twin.example.com", "twin.example.com-0001"]
    assert sans(run_certsmith.config_dir / "live" / "twin.example.com-0001" / "cert.pem") == set(names)
    assert (run_certsmith.config_dir / "renewal" / "twin.example.com-0001.conf").is_file()
    for sub in ("live", "archive"):
        assert snapshot(run_certsmith.config_dir / sub / "twin.example.com") == first_lineage[sub]
    assert (run_certsmith.config_dir / "renewal" / "twin.example.com.conf").read_bytes() == first_conf
    assert lineage_problems(run_certsmith.config_dir, "twin.example.com-0001") == []


def test_cert_name_with_other_names_replaces_what_the_lineage_holds(run_certsmith):
    first = run_certsmith.certonly("old.example.com", "www.old.example.com", extra=("--cert-name", "site"))
    assert first.returncode == 0, describe(first)

    second = run_certsmith.certonly("new.example.com", "old.example.com", extra=("--cert-name", "site"))
    assert second.returncode == 0, describe(second)
    archive = run_certsmith.config_dir / "archive" / "site"
    assert sans(archive / "cert1.pem") == {"old.example.com", "www.old.example.com"}
    assert sans(archive / "cert2.pem") == {"new.example.com", "old.example.com"}
    assert os.readlink(run_certsmith.config_dir / "live" / "site" / "cert.pem") == "../../archive/site/cert2.pem"
    assert _lineages(run_certsmith) == ["site"]
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "site.conf")
    assert conf["cert"] == str(run_certsmith.config_dir / "live" / "site" / "cert.pem")
    assert lineage_problems(run_certsmith.config_dir, "site") == []


def test_cert_name_with_the_same_names_keeps_a_valid_certificate(run_certsmith):
    assert run_certsmith.certonly("same.example.com", extra=("--cert-name", "same")).returncode == 0
    before = snapshot(run_certsmith.config_dir)
    again = run_certsmith.certonly("same.example.com", extra=("--cert-name", "same"))
    assert again.returncode == 0, describe(again)
    assert "Certificate not yet due for renewal; no action taken." in again.stdout.splitlines()
    assert snapshot(run_certsmith.config_dir) == before


def test_wildcard_over_http01_is_refused_with_a_pointer_to_dns01(run_certsmith):
    result = run_certsmith.certonly("*.wild.example.com", extra=("--pre-hook", "touch pre-hook-ran"))
    line = _assert_one_line_usage_error(result)
    assert "*.wild.example.com" in line and "dns-01" in line, line
    assert not (run_certsmith.sandbox / "pre-hook-ran").exists(), "a hook ran for a request refused up front"
    for sub in ("live", "archive", "renewal"):
        d = run_certsmith.config_dir / sub
        assert not d.exists() or not any(d.iterdir()), f"{d} is not empty"


def _run_at_a_terminal(run_certsmith, args: list[str], answer: str):
    """certsmith without -n, its stdin a terminal on which the user types `answer`."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        return subprocess.run(run_certsmith.argv(*args, non_interactive=False), cwd=run_certsmith.sandbox,
                              env=run_certsmith.environment(), stdin=slave, capture_output=True, text=True,
                              timeout=120)
    finally:
        os.close(slave)
        os.close(master)


def _certonly_args(*domains: str, extra: tuple = ()) -> list[str]:
    args = ["certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email"]
    for d in domains:
        args += ["-d", d]
    return [*args, *extra]


def test_at_a_terminal_the_user_is_asked_before_expanding(run_certsmith):
    assert run_certsmith.certonly("ask.example.com").returncode == 0
    before = snapshot(run_certsmith.config_dir)
    no = _run_at_a_terminal(run_certsmith, _certonly_args("ask.example.com", "b.ask.example.com"), "n\n")
    assert no.returncode == 2, describe(no)
    assert "Do you want to expand and replace this existing certificate" in no.stdout, describe(no)
    assert "--expand" in no.stderr, describe(no)
    assert snapshot(run_certsmith.config_dir) == before

    yes = _run_at_a_terminal(run_certsmith, _certonly_args("ask.example.com", "b.ask.example.com"), "y\n")
    assert yes.returncode == 0, describe(yes)
    assert sans(run_certsmith.config_dir / "archive" / "ask.example.com" / "cert2.pem") == {
        "ask.example.com", "b.ask.example.com"}


def test_without_a_terminal_or_n_the_expansion_question_names_the_flags(run_certsmith):
    assert run_certsmith.certonly("noterm.example.com").returncode == 0
    before = snapshot(run_certsmith.config_dir)
    result = run_certsmith(*_certonly_args("noterm.example.com", "b.noterm.example.com"), non_interactive=False)
    line = _assert_one_line_usage_error(result)
    assert "--expand" in line and "-n" in line, line
    assert snapshot(run_certsmith.config_dir) == before


def test_at_a_terminal_a_no_keeps_the_names_of_cert_name(run_certsmith):
    assert run_certsmith.certonly("keep.example.com", extra=("--cert-name", "kept")).returncode == 0
    before = snapshot(run_certsmith.config_dir)
    no = _run_at_a_terminal(run_certsmith, _certonly_args("other.example.com", extra=("--cert-name", "kept")),
                            "n\n")
    assert no.returncode == 2, describe(no)
    assert "include new domain(s): other.example.com" in no.stdout, describe(no)
    assert "removing previously included domain(s): keep.example.com" in no.stdout, describe(no)
    assert "Specified mismatched certificate name and domains." in no.stderr, describe(no)
    assert snapshot(run_certsmith.config_dir) == before
