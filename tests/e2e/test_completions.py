"""The shell completions in completions/ (bash, zsh, fish): each parses, loads in its shell, completes
subcommands, flags and the cert names of a config dir, and lists hostile file names in renewal/ literally
without running anything. One test per shell fails when `certsmith --help` (or a subcommand's --help) lists a
subcommand or long flag the script lacks, so a new flag cannot ship without its completion.

zsh and fish are test packages (packaging/install-deps.sh --test): absent, their tests fail under CI and are
skipped elsewhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

COMPLETIONS = REPO / "completions"
BASH_SCRIPT = COMPLETIONS / "certsmith.bash"
ZSH_SCRIPT = COMPLETIONS / "_certsmith"
FISH_SCRIPT = COMPLETIONS / "certsmith.fish"
IN_CI = bool(os.environ.get("CI"))

# Legal lineage names (lib/store/lineage_name.hpp), one odd: a space inside, as certsmith and certbot allow.
NAMES = ("example.com", "xn--bcher-kva.example-0001", "my cert")
# Legal too, and each would run a command if a completion evaluated it. '/' cannot be in a file name, so the
# commands create files in the current directory, which the tests watch.
HOSTILE = ("$(touch pwned1)", "`touch pwned2`", "x;touch pwned3")
# Refused by certsmith, so never offered.
SKIPPED = (".hidden", "-dash")


def shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (packaging/install-deps.sh --test installs it)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A config dir whose renewal/ holds NAMES, HOSTILE and SKIPPED confs, plus a file that is no conf."""
    renewal = tmp_path / "cfg" / "renewal"
    renewal.mkdir(parents=True)
    for name in NAMES + HOSTILE + SKIPPED:
        (renewal / f"{name}.conf").write_text("version = 2.1.0\n")
    (renewal / "notes.txt").write_text("")
    return tmp_path / "cfg"


def assert_nothing_ran(cwd: Path) -> None:
    assert sorted(p.name for p in cwd.iterdir() if p.name.startswith("pwned")) == []


def help_surface(certsmith: Path) -> tuple[set[str], set[str]]:
    """The subcommands and long flags `certsmith --help` and each `certsmith SUB --help` list."""
    top = subprocess.run([str(certsmith), "--help"], capture_output=True, text=True, check=True).stdout
    subcommands: set[str] = set()
    in_subcommands = False
    for line in top.splitlines():
        if line.startswith("Subcommands:"):
            in_subcommands = True
        elif in_subcommands and not line.strip() and subcommands:
            break  # the list ends at a blank line (a footer may follow)
        elif in_subcommands and re.match(r"  \S", line):
            names = re.split(r"\s{2,}", line.strip())[0]
            subcommands.update(n.strip() for n in names.split(","))
    assert {"certonly", "renew", "revoke", "certificates"} <= subcommands, top
    texts = [top] + [subprocess.run([str(certsmith), sub, "--help"], capture_output=True, text=True,
                                    check=True).stdout for sub in sorted(subcommands)]
    flags: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            # Option lines: "  -a,--authenticator TEXT   description"; descriptions are indented further.
            match = re.match(r"  (-[^\s]+)", line)
            if match:
                flags.update(re.findall(r"--[A-Za-z0-9][\w-]*", match.group(1)))
    assert {"--cert-name", "--config-dir", "--help"} <= flags
    return subcommands, flags


# ---------------------------------------------------------------------------------------------------- bash

BASH_DRIVER = r"""
source "$1"
shift
complete -p certsmith || exit 3
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_certsmith
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(cwd: Path, *words: str) -> list[str]:
    """COMPREPLY of the completion function for the line `words` (the last word is being completed)."""
    result = subprocess.run([shell("bash"), "--norc", "--noprofile", "-c", BASH_DRIVER, "driver",
                             str(BASH_SCRIPT), *words], cwd=cwd, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "complete -F _certsmith certsmith"
    return [line for line in lines[1:] if line]


def unquote_bash(word: str) -> str:
    return re.sub(r"\\(.)", r"\1", word)


def test_bash_script_parses():
    result = subprocess.run([shell("bash"), "-n", str(BASH_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_bash_completes_subcommands_and_flags(tmp_path):
    assert bash_complete(tmp_path, "certsmith", "ren") == ["renew"]
    assert bash_complete(tmp_path, "certsmith", "-q", "cert") == ["certonly", "certificates", "certbot-flags"]
    assert bash_complete(tmp_path, "certsmith", "renew", "--cert-n") == ["--cert-name"]
    assert bash_complete(tmp_path, "certsmith", "--key-type", "") == ["ecdsa", "rsa"]
    assert bash_complete(tmp_path, "certsmith", "--rsa-key-size", "=", "3") == ["3072"]
    # A subcommand is on the line, and so is a flag value that looks like one: no second subcommand.
    assert bash_complete(tmp_path, "certsmith", "renew", "") == []
    assert "renew" in bash_complete(tmp_path, "certsmith", "--cert-name", "renew", "")


def test_bash_completes_cert_names_from_config_dir(config_dir, tmp_path):
    expected = sorted(NAMES + HOSTILE)
    for words in (["--config-dir", str(config_dir)], ["--config-dir", "=", str(config_dir)],
                  [f"--config-dir={config_dir}"]):
        got = bash_complete(tmp_path, "certsmith", *words, "renew", "--cert-name", "")
        assert sorted(unquote_bash(w) for w in got) == expected, words
    # Each name comes back quoted for the command line: a space or $(...) stays part of the one word.
    assert bash_complete(tmp_path, "certsmith", "--config-dir", str(config_dir), "delete", "--cert-name", "my") \
        == [r"my\ cert"]
    assert bash_complete(tmp_path, "certsmith", "--config-dir", str(config_dir), "delete", "--cert-name", "$") \
        == [r"\$\(touch\ pwned1\)"]
    assert_nothing_ran(tmp_path)


def test_bash_cert_names_default_to_etc_letsencrypt_and_tolerate_a_missing_dir(tmp_path):
    # Whatever /etc/letsencrypt holds here, completing from it must not fail; a missing dir gives nothing.
    bash_complete(tmp_path, "certsmith", "renew", "--cert-name", "")
    assert bash_complete(tmp_path, "certsmith", "--config-dir", str(tmp_path / "absent"), "renew",
                         "--cert-name", "") == []


def test_bash_covers_every_subcommand_and_flag(certsmith, tmp_path):
    subcommands, flags = help_surface(certsmith)
    offered_subcommands = set(bash_complete(tmp_path, "certsmith", ""))
    offered_flags = set(bash_complete(tmp_path, "certsmith", "--"))
    assert subcommands - offered_subcommands == set(), "add these subcommands to completions/certsmith.bash"
    assert flags - offered_flags == set(), "add these flags to completions/certsmith.bash"


# ---------------------------------------------------------------------------------------------------- zsh

# Drives a real interactive zsh (through zsh/zpty) with compinit loading _certsmith from completions/ through
# $fpath, as an installed zsh would, types the line and asks for the list of choices (^X bound to
# list-choices), and prints what the terminal showed.
ZSH_DRIVER = r"""
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PS1='' RPS1=''; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "setopt nobeep; zle -C list-all list-choices _main_complete; bindkey '^X' list-all"
zpty -w z "print -r -- \$_comps[certsmith] READY"
zpty -r -m z out '*_certsmith READY*' || exit 4
zpty -n -w z "$2"$'\C-X'
sleep 1
local all= line
while zpty -r -t z line; do all+=$line; done
print -r -- "$all"
zpty -d z
"""


def zsh_complete(cwd: Path, line: str) -> str:
    """What an interactive zsh lists for `line` (escape sequences removed)."""
    result = subprocess.run([shell("zsh"), "-f", "-c", ZSH_DRIVER, "driver", str(COMPLETIONS), line], cwd=cwd,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", result.stdout)


def test_zsh_script_parses():
    result = subprocess.run([shell("zsh"), "-n", str(ZSH_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_zsh_completes_subcommands_and_flags(tmp_path):
    shown = zsh_complete(tmp_path, "certsmith ren")
    assert "Renew every certificate that is due" in shown, shown
    shown = zsh_complete(tmp_path, "certsmith renew --cert-n")
    assert "Name of the certificate lineage" in shown, shown
    shown = zsh_complete(tmp_path, "certsmith --key-type ")
    assert re.search(r"ecdsa\s+rsa", shown), shown


def test_zsh_completes_cert_names_from_config_dir(config_dir, tmp_path):
    shown = zsh_complete(tmp_path, f"certsmith --config-dir {config_dir} renew --cert-name ")
    for word in ("example.com", "xn--bcher-kva.example-0001", r"my\ cert", r"\$\(touch\ pwned1\)",
                 r"\`touch\ pwned2\`", r"x\;touch\ pwned3"):
        assert word in shown, (word, shown)
    assert ".hidden" not in shown and "-dash" not in shown and "notes" not in shown
    assert_nothing_ran(tmp_path)


def test_zsh_cert_name_list_is_data(config_dir, tmp_path):
    # The helper behind the names, called directly: exactly the names, one per element, nothing run.
    script = (f"source {ZSH_SCRIPT} 2>/dev/null; words=(certsmith --config-dir={config_dir} renew --cert-name '');"
              " CURRENT=5; _certsmith_cert_name_list; print -rl -- $reply")
    result = subprocess.run([shell("zsh"), "-f", "-c", f"autoload -U compinit; compinit -u -D; {script}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert sorted(result.stdout.splitlines()) == sorted(NAMES + HOSTILE), result.stderr
    assert_nothing_ran(tmp_path)


def test_zsh_covers_every_subcommand_and_flag(certsmith):
    subcommands, flags = help_surface(certsmith)
    text = ZSH_SCRIPT.read_text()
    offered_flags = set(re.findall(r"'\*?(--[A-Za-z0-9][\w-]*)[=\[]", text))
    offered_subcommands = set(re.findall(r"^    '([a-z][\w-]*):", text, re.M))
    assert subcommands - offered_subcommands == set(), "add these subcommands to completions/_certsmith"
    assert flags - offered_flags == set(), "add these flags to completions/_certsmith"


# ---------------------------------------------------------------------------------------------------- fish

def fish_complete(cwd: Path, line: str) -> list[str]:
    """The candidates (without descriptions) fish offers for `line`."""
    command = f"source {FISH_SCRIPT}; complete -C {fish_quote(line)}"
    result = subprocess.run([shell("fish"), "--no-config", "-c", command], cwd=cwd, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [entry.split("\t")[0] for entry in result.stdout.splitlines()]


def fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_script_parses():
    result = subprocess.run([shell("fish"), "--no-execute", str(FISH_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_fish_completes_subcommands_and_flags(tmp_path):
    assert fish_complete(tmp_path, "certsmith ren") == ["renew"]
    assert fish_complete(tmp_path, "certsmith renew --cert-n") == ["--cert-name"]
    assert fish_complete(tmp_path, "certsmith --key-type ") == ["ecdsa", "rsa"]
    assert fish_complete(tmp_path, "certsmith renew ce") == []


def test_fish_completes_cert_names_from_config_dir(config_dir, tmp_path):
    for flag in (f"--config-dir {config_dir}", f"--config-dir={config_dir}"):
        got = fish_complete(tmp_path, f"certsmith {flag} renew --cert-name ")
        assert sorted(got) == sorted(NAMES + HOSTILE), flag
    assert fish_complete(tmp_path, f"certsmith --config-dir {config_dir} renew --cert-name my") == ["my cert"]
    assert_nothing_ran(tmp_path)


def test_fish_covers_every_subcommand_and_flag(certsmith, tmp_path):
    subcommands, flags = help_surface(certsmith)
    assert subcommands - set(fish_complete(tmp_path, "certsmith ")) == set(), \
        "add these subcommands to completions/certsmith.fish"
    assert flags - set(fish_complete(tmp_path, "certsmith --")) == set(), \
        "add these flags to completions/certsmith.fish"
