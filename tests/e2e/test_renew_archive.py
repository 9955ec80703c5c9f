"""A user whose certificates renew for years does not collect every old key: as certbot 2.3+ does, renewal
keeps the current version and the 5 before it in archive/NAME."""

from __future__ import annotations

import re

from conftest import describe
from inspect_tree import lineage_problems, live_version

NAME = "archive.example.com"
ARCHIVE_FILE = re.compile(r"(cert|chain|fullchain|privkey)(\d+)\.pem")


def test_renewal_keeps_current_and_five_previous_versions(run_certsmith):
    run = run_certsmith
    result = run.certonly(NAME)
    assert result.returncode == 0, describe(result)
    for _ in range(7):
        renewed = run("renew", "--force-renewal", "-q")
        assert renewed.returncode == 0, describe(renewed)
    live = run.config_dir / "live" / NAME
    assert live_version(live) == 8
    assert lineage_problems(run.config_dir, NAME) == []
    kept: dict[str, set[int]] = {}
    for path in (run.config_dir / "archive" / NAME).iterdir():
        m = ARCHIVE_FILE.fullmatch(path.name)
        if m:
            kept.setdefault(m.group(1), set()).add(int(m.group(2)))
    assert kept == dict.fromkeys(("cert", "chain", "fullchain", "privkey"), set(range(3, 9))), kept
