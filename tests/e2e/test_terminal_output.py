"""A person at a terminal gets colour, examples in every --help and "Did you mean ...?" for a typo; cron, pipes
and the log file get plain lines; automation gets one JSON document from `renew --json`.

The terminal runs are real pseudo-terminals (python's pty module): certsmith's stdout and stderr are the pty's
slave side, exactly as in an interactive shell."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from conftest import describe
from inspect_tree import live_version, not_after

ESC = "\x1b["
RED, YELLOW, GREEN = "\x1b[31m", "\x1b[33m", "\x1b[32m"


def run_in_pty(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> tuple[int, str]:
    """Runs argv with stdout and stderr on one pseudo-terminal (stdin: /dev/null); returns (exit code, output)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        readable = select.select([master], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not readable:  # a hung certsmith must fail this test, not block the worker for ever
            process.kill()
            process.wait()
            os.close(master)
            pytest.fail(f"{argv[:2]} produced no end of output within {timeout} s", pytrace=False)
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every holder of the slave side has closed it
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = process.wait(timeout=max(deadline - time.monotonic(), 1))
    return code, b"".join(chunks).decode(errors="replace")


def terminal_env(run, **extra: str | None) -> dict[str, str]:
    """The runner's environment as an interactive shell has it: TERM set, NO_COLOR unset unless given."""
    return run.environment({"TERM": "xterm-256color", "NO_COLOR": None, **extra})


def log_text(run) -> str:
    return "".join(path.read_text(errors="replace") for path in sorted(run.logs_dir.glob("letsencrypt.log*")))


# --- colour: only on a terminal, never with NO_COLOR or TERM=dumb, never in a pipe or the log ---------------

def test_an_error_is_red_on_a_terminal_and_plain_otherwise(run_certsmith):
    run = run_certsmith
    argv = run.argv("renwe", dirs=False)
    code, output = run_in_pty(argv, terminal_env(run), run.sandbox)
    assert code == 2, output
    assert f"{RED}certsmith: error: unknown command 'renwe'. Did you mean 'renew'?" in output, repr(output)

    for name, env in {"NO_COLOR=1": terminal_env(run, NO_COLOR="1"),
                      "TERM=dumb": terminal_env(run, TERM="dumb")}.items():
        code, output = run_in_pty(argv, env, run.sandbox)
        assert code == 2, f"{name}: {output!r}"
        assert ESC not in output, f"{name}: {output!r}"
        assert "certsmith: error: unknown command 'renwe'. Did you mean 'renew'?" in output, f"{name}: {output!r}"

    # An empty NO_COLOR does not disable colour (no-color.org).
    code, output = run_in_pty(argv, terminal_env(run, NO_COLOR=""), run.sandbox)
    assert RED in output, repr(output)

    piped = run("renwe", dirs=False, env={"TERM": "xterm-256color", "NO_COLOR": None})
    assert piped.returncode == 2, describe(piped)
    assert ESC not in piped.stdout + piped.stderr, describe(piped)


def test_a_warning_is_yellow_on_a_terminal_and_the_log_file_stays_plain(run_certsmith):
    run = run_certsmith
    argv = run.argv("show_account", "--debug")  # an ignored certbot flag: a warning, then a logged run
    code, output = run_in_pty(argv, terminal_env(run), run.sandbox)
    assert f"{YELLOW}--debug is ignored" in output, repr(output)
    log = log_text(run)
    assert "--debug is ignored" in log, log
    assert ESC not in log and "\x1b" not in log, repr(log)


def test_renewal_is_green_on_a_terminal_plain_when_piped_and_never_coloured_in_the_log(run_certsmith):
    run = run_certsmith
    result = run.certonly("green.example.com")
    assert result.returncode == 0, describe(result)

    code, output = run_in_pty(run.argv("renew", "--force-renewal"), terminal_env(run), run.sandbox)
    assert code == 0, output
    assert re.search(re.escape(GREEN) + r"green\.example\.com: renewed, expires \d{4}-\d\d-\d\d", output), repr(output)
    assert "\r" not in output.replace("\r\n", "\n"), f"a progress line was left behind: {output!r}"

    code, output = run_in_pty(run.argv("renew", "--force-renewal"), terminal_env(run, NO_COLOR="1"), run.sandbox)
    assert code == 0, output
    assert "green.example.com: renewed" in output and ESC not in output, repr(output)

    piped = run("renew", "--force-renewal", env={"TERM": "xterm-256color", "NO_COLOR": None})
    assert piped.returncode == 0, describe(piped)
    assert "green.example.com: renewed" in piped.stdout and ESC not in piped.stdout + piped.stderr, describe(piped)

    code, output = run_in_pty(run.argv("renew", "--force-renewal", "-q"), terminal_env(run), run.sandbox)
    assert (code, output) == (0, ""), f"-q printed {output!r}"

    assert live_version(run.config_dir / "live" / "green.example.com") == 5
    log = log_text(run)
    assert "green.example.com" in log and "\x1b" not in log, repr(log[-2000:])


# --- typo suggestions --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (("renwe",), "unknown command 'renwe'. Did you mean 'renew'?"),
    (("certonyl", "-d", "a.example.com"), "unknown command 'certonyl'. Did you mean 'certonly'?"),
    (("certificate",), "unknown command 'certificate'. Did you mean 'certificates'?"),
    (("frobnicate",), "unknown command 'frobnicate'; 'certsmith --help' lists the commands and flags"),
    (("renew", "--forse-renewal"), "unknown flag '--forse-renewal'. Did you mean '--force-renewal'?"),
    (("--dryrun", "renew"), "unknown flag '--dryrun'. Did you mean '--dry-run'?"),
    (("renew", "--cert-nam=a.example.com"), "unknown flag '--cert-nam'. Did you mean '--cert-name'?"),
    (("renew", "--no-such-flag-at-all"), "unknown flag '--no-such-flag-at-all'; 'certsmith --help' lists the "
                                         "commands and flags"),
])
def test_a_typo_gets_one_line_with_a_suggestion_and_exit_2(run_certsmith, args, message):
    result = run_certsmith(*args, dirs=False)
    assert result.returncode == 2, describe(result)
    assert result.stderr == f"certsmith: error: {message}\n", describe(result)
    assert result.stdout == "", describe(result)


def test_a_hostile_unknown_command_is_escaped(run_certsmith):
    result = run_certsmith("ren\x1b[31mew", dirs=False)
    assert result.returncode == 2, describe(result)
    assert "\x1b" not in result.stderr and "unknown command 'ren\\x1b[31mew'" in result.stderr, describe(result)


# --- --help with examples for every subcommand -------------------------------------------------------------

def listed_subcommands(certsmith: Path) -> list[list[str]]:
    """Each subcommand `certsmith --help` lists, with its aliases."""
    text = subprocess.run([str(certsmith), "--help"], capture_output=True, text=True, check=True).stdout
    listing = text.partition("\nSubcommands:\n")[2]
    return [re.split(r"\s{2,}", line.strip())[0].split(", ") for line in listing.splitlines()
            if re.match(r"  [a-z]", line)]


def test_every_subcommand_help_shows_examples_of_itself(certsmith):
    subcommands = listed_subcommands(certsmith)
    assert len(subcommands) >= 15 and ["renew"] in subcommands, subcommands
    for names in subcommands:
        for name in names:  # an alias shows the same help
            result = subprocess.run([str(certsmith), name, "--help"], capture_output=True, text=True)
            assert result.returncode == 0, f"{name}: {describe(result)}"
            examples = result.stdout.partition("\nExamples:\n")[2].split("\n\n")[0].splitlines()
            assert 1 <= len(examples) <= 3, f"{name}: {result.stdout}"
            assert all(line.startswith(f"  certsmith {names[0]}") for line in examples), f"{name}: {result.stdout}"
            assert "'certsmith --help' lists them all" in result.stdout, f"{name}: {result.stdout}"


# --- renew --json ------------------------------------------------------------------------------------------

def test_renew_json_reports_a_renewal_a_failure_and_a_lineage_not_due(run_certsmith):
    run = run_certsmith
    for name in ("good.example.com", "broken.example.com", "later.example.com"):
        result = run.certonly(name)
        assert result.returncode == 0, describe(result)
    # broken's CA is gone: its conf points at a port where nothing listens.
    conf = run.config_dir / "renewal" / "broken.example.com.conf"
    text = conf.read_text()
    text, replaced = re.subn(r"(?m)^server = .*$", "server = https://127.0.0.1:9/directory", text)
    assert replaced == 1, text
    conf.write_text(text)

    forced = run("renew", "--json", "--force-renewal")
    assert forced.returncode == 1, describe(forced)  # exit code as without --json: a lineage failed
    document = json.loads(forced.stdout)  # stdout holds the document and nothing else
    assert document["schema_version"] == 1 and document["dry_run"] is False, document
    entries = {entry["name"]: entry for entry in document["lineages"]}
    assert set(entries) == {"good.example.com", "broken.example.com", "later.example.com"}, document

    good = entries["good.example.com"]
    assert good["action"] == "renewed" and good["domains"] == ["good.example.com"], good
    assert good["version"] == 2 == live_version(run.config_dir / "live" / "good.example.com"), good
    expiry = not_after(run.config_dir / "live" / "good.example.com" / "cert.pem")
    assert good["not_after"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), (good, expiry)

    broken = entries["broken.example.com"]
    assert broken["action"] == "failed" and broken["reason"], broken
    assert "version" not in broken, broken
    assert live_version(run.config_dir / "live" / "broken.example.com") == 1

    assert (document["renewed"], document["failed"]) == (2, 1), document
    assert document["not_due"] == 0 and document["hook_failures"] == [], document

    # Nothing due: every lineage not_due with its reason and expiry; exit 0.
    quiet = run("renew", "--json", "--cert-name", "later.example.com")
    assert quiet.returncode == 0, describe(quiet)
    document = json.loads(quiet.stdout)
    (later,) = document["lineages"]
    assert later["action"] == "not_due" and later["reason"].startswith("not due until "), later
    assert later["not_after"].endswith("Z"), later
    assert (document["renewed"], document["not_due"], document["failed"]) == (0, 1, 0), document


# --- the progress line -------------------------------------------------------------------------------------

def test_a_long_renewal_shows_a_progress_line_on_a_terminal_only_and_wipes_it(run_certsmith):
    run = run_certsmith
    names = [f"p{i}.example.com" for i in range(6)]  # more than five due lineages: a progress line
    for name in names:
        result = run.certonly(name)
        assert result.returncode == 0, describe(result)

    code, output = run_in_pty(run.argv("renew", "--force-renewal", "--jobs", "2"), terminal_env(run), run.sandbox)
    assert code == 0, output
    assert "\rRenewing: 6 of 6 done" in output, repr(output)
    # Wiped at the end: the last progress text is followed by \r, spaces over it and \r, then the summary.
    tail = output.rpartition("Renewing: 6 of 6 done")[2]
    assert tail.startswith("\r" + " " * len("Renewing: 6 of 6 done") + "\r"), repr(output)
    # No summary line runs into the progress line: every one starts a line of its own.
    for name in names:
        assert re.search(rf"(^|\n){re.escape(GREEN)}{re.escape(name)}: renewed", output.replace("\r\n", "\n")
                         .replace("\r" + " " * len("Renewing: 6 of 6 done") + "\r", "\n")), repr(output)

    for extra, env in ((("-q",), terminal_env(run)), (("--json",), terminal_env(run))):
        code, output = run_in_pty(run.argv("renew", "--force-renewal", *extra), env, run.sandbox)
        assert code == 0, output
        assert "Renewing:" not in output, f"{extra}: {output!r}"

    piped = run("renew", "--force-renewal")
    assert piped.returncode == 0, describe(piped)
    assert "Renewing:" not in piped.stdout + piped.stderr and "\r" not in piped.stderr, describe(piped)
