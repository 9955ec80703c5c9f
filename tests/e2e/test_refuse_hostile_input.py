"""A user (or a script acting for one) passes hostile names; certsmith refuses before touching anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import describe
from inspect_tree import snapshot


def _assert_usage_error(result):
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)


@pytest.mark.parametrize("cert_name", ["../evil", "a/b", "../../../../tmp/evil-cert-name", "..", "."])
def test_cert_name_with_path_parts_is_refused(run_certsmith, sandbox, cert_name):
    outside = sandbox.parent
    before = snapshot(outside, exclude=(run_certsmith.config_dir, run_certsmith.work_dir, run_certsmith.logs_dir))
    result = run_certsmith.certonly("evil-name.example.com", extra=("--cert-name", cert_name))
    _assert_usage_error(result)
    assert snapshot(outside, exclude=(run_certsmith.config_dir, run_certsmith.work_dir,
                                      run_certsmith.logs_dir)) == before, "something was written outside"
    assert not Path("/tmp/evil-cert-name").exists()
    for sub in ("live", "archive", "renewal"):
        d = run_certsmith.config_dir / sub
        assert not d.exists() or not any(d.iterdir()), f"{d} is not empty"


@pytest.mark.parametrize("domain", ["a;touch /tmp/x.example.com", "$(touch /tmp/x.example.com)",
                                    "`touch /tmp/x.example.com`", "../x.example.com", "x.example.com/evil",
                                    "x .example.com", "-x.example.com"])
def test_domain_with_shell_or_path_characters_is_refused(run_certsmith, domain):
    marker = Path("/tmp/x.example.com")
    if marker.exists():
        marker.unlink()
    result = run_certsmith.certonly(domain)
    _assert_usage_error(result)
    assert not marker.exists()
    assert not (run_certsmith.config_dir / "live").exists() or not any((run_certsmith.config_dir / "live").iterdir())


def test_missing_domain_is_a_usage_error(run_certsmith):
    result = run_certsmith("certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email")
    _assert_usage_error(result)


def test_unknown_flag_is_a_usage_error(run_certsmith):
    result = run_certsmith("certonly", "--standalone", "-d", "flag.example.com", "--no-such-flag")
    assert result.returncode == 2, describe(result)
    # A hint how to get help may follow, as with any CLI; the error itself is the first line.
    first = result.stderr.splitlines()[0] if result.stderr else ""
    assert first.startswith("certsmith: error: ") and "--no-such-flag" in first, describe(result)
