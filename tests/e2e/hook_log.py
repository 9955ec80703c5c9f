"""Hooks that record themselves: every hook appends one line to a log file, so a test can see which hooks ran,
in which order and with which environment."""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

UNSET = "<unset>"


@dataclass(frozen=True)
class HookCall:
    """One line of the log: which hook and the certbot variables it saw (UNSET when not in its environment)."""

    hook: str
    lineage: str
    domains: str
    failed: str


class HookLog:
    """A log file hooks append to; command(label) and install_directory_hooks() make such hooks."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _script(self, label: str) -> str:
        # One printf = one write(2) with O_APPEND: lines of hooks running at once do not interleave.
        return (f"printf '%s\\t%s\\t%s\\t%s\\n' {shlex.quote(label)} \"${{RENEWED_LINEAGE-{UNSET}}}\" "
                f"\"${{RENEWED_DOMAINS-{UNSET}}}\" \"${{FAILED_DOMAINS-{UNSET}}}\" >> {shlex.quote(str(self.path))}")

    def command(self, label: str) -> str:
        """A shell command for --pre-hook/--deploy-hook/--post-hook that logs `label`."""
        return self._script(label)

    def install_directory_hooks(self, config_dir: Path) -> None:
        """renewal-hooks/{pre,deploy,post}/: an executable `10-log` (logs dir-pre, dir-deploy, dir-post) plus
        two files that must never run: a backup `10-log~` and a non-executable `20-disabled`."""
        for kind in ("pre", "deploy", "post"):
            directory = Path(config_dir) / "renewal-hooks" / kind
            directory.mkdir(parents=True, exist_ok=True)
            for name, label, executable in (("10-log", f"dir-{kind}", True), ("10-log~", f"backup-{kind}", True),
                                            ("20-disabled", f"disabled-{kind}", False)):
                script = directory / name
                script.write_text(f"#!/bin/sh\n{self._script(label)}\n")
                os.chmod(script, 0o755 if executable else 0o644)
                assert bool(script.stat().st_mode & stat.S_IXUSR) == executable

    def calls(self) -> list[HookCall]:
        if not self.path.exists():
            return []
        return [HookCall(*line.split("\t")) for line in self.path.read_text().splitlines()]

    def hooks(self) -> list[str]:
        return [call.hook for call in self.calls()]

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
