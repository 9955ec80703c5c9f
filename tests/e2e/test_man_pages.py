"""The man pages in man/: they render without a warning, and they document every subcommand and flag.

Each man/*.scd is rendered the way the build renders it (scdoc through man/render.cmake) and
linted with `mandoc -T lint -W warning`, `groff -man -ww -z` and `man -l`: all must be silent.
The coverage tests read the binary's own --help, so a new subcommand or flag without a word
in the pages fails here. Without scdoc or mandoc the lint tests skip with the command that
installs them; under CI they fail instead, so the check cannot silently vanish there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAN_DIR = REPO / "man"
RENDER_SCRIPT = MAN_DIR / "render.cmake"
PAGES = sorted(MAN_DIR.glob("*.scd"))
MAIN_PAGE = MAN_DIR / "certsmith.1.scd"
REQUIRED_SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO")
LINT_TOOLS = ("scdoc", "mandoc", "groff", "man", "cmake")
# An option's name at the start of a --help line: "  -d,--domains,--domain TEXT ...".
HELP_OPTION_LINE = re.compile(r"^  (-\S+)")
# A subcommand line under "Subcommands:": "  update_account, update-account   Change ...".
HELP_SUBCOMMAND_LINE = re.compile(r"^  ([a-z][\w-]*(?:, [a-z][\w-]*)*)")


def running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_tools() -> dict[str, str]:
    """The lint tools' paths; skips (fails under CI) naming what is missing."""
    found = {tool: shutil.which(tool) for tool in LINT_TOOLS}
    missing = [tool for tool, path in found.items() if path is None]
    if missing:
        message = (f"man page tools missing: {', '.join(missing)} "
                   f"(apt-get install scdoc mandoc groff-base man-db cmake, or bash packaging/install-deps.sh --test)")
        if running_under_ci():
            pytest.fail(message + "; CI must run these checks", pytrace=False)
        pytest.skip(message)
    return found


def page_name(source: Path) -> str:
    """man/certsmith-renew.1.scd -> certsmith-renew.1"""
    return source.name.removesuffix(".scd")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Every page rendered to roff by the build's own script, by page name."""
    tools = require_tools()
    out_dir = tmp_path_factory.mktemp("man")
    pages = {}
    for source in PAGES:
        output = out_dir / page_name(source)
        result = subprocess.run([tools["cmake"], f"-DSCDOC={tools['scdoc']}", f"-DPAGE_SOURCE={source}",
                                 f"-DPAGE_OUTPUT={output}", "-P", str(RENDER_SCRIPT)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{source.name} does not render:\n{result.stdout}{result.stderr}"
        pages[output.name] = output
    return pages


def run_quiet(command: list[str], **kwargs) -> str:
    """Everything the command printed on stdout and stderr (a lint is clean when this is empty)."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)
    return (result.stdout + result.stderr).strip()


def help_text(certsmith: Path, *subcommand: str) -> str:
    result = subprocess.run([str(certsmith), *subcommand, "--help"], capture_output=True, text=True,
                            timeout=30, cwd="/")
    assert result.returncode == 0, f"certsmith {' '.join(subcommand)} --help failed:\n{result.stderr}"
    return result.stdout


def help_sections(text: str) -> tuple[str, str]:
    """The "Options:" part and the "Subcommands:" part of a --help text."""
    options, _, subcommands = text.partition("\nSubcommands:\n")
    return options, subcommands


def long_options(text: str) -> set[str]:
    """The long options a --help text lists (not the ones its descriptions mention)."""
    options, _ = help_sections(text)
    names = set()
    for line in options.splitlines():
        match = HELP_OPTION_LINE.match(line)
        if match:
            names.update(name for name in match.group(1).split(",") if name.startswith("--"))
    return names


def subcommands(text: str) -> list[list[str]]:
    """Each subcommand of a --help text with its aliases: [["update_account", "update-account"], ...]."""
    _, listing = help_sections(text)
    found = []
    for line in listing.splitlines():
        match = HELP_SUBCOMMAND_LINE.match(line)
        if match:
            found.append(match.group(1).split(", "))
    return found


def subcommand_page(names: list[str]) -> Path:
    """certbot spells some subcommands with '_'; pages use '-': certsmith-update-account.1.scd."""
    return MAN_DIR / f"certsmith-{names[0].replace('_', '-')}.1.scd"


def documents(page: Path, option: str) -> bool:
    """The page has an entry for the option: a term line such as "*-d*, *--domains* _NAME_" naming it."""
    return any(line.startswith("*-") and f"*{option}*" in line for line in page.read_text().splitlines())


# Rendering and lint


def test_pages_exist():
    assert MAIN_PAGE in PAGES
    assert MAN_DIR / "certsmith.ini.5.scd" in PAGES


@pytest.mark.parametrize("source", PAGES, ids=page_name)
def test_page_title_matches_file_name(source):
    """scdoc takes the title from the first line; a copied page that keeps another's title is caught here."""
    name, _, section = page_name(source).rpartition(".")
    assert source.read_text().splitlines()[0] == f"{name}({section})"


@pytest.mark.parametrize("source", PAGES, ids=page_name)
def test_page_has_the_usual_sections(source):
    headings = re.findall(r"^# (.+)$", source.read_text(), flags=re.MULTILINE)
    required = REQUIRED_SECTIONS + (("EXIT STATUS",) if page_name(source).endswith(".1") else ())
    assert [section for section in required if section not in headings] == []


@pytest.mark.parametrize("source", PAGES, ids=page_name)
def test_mandoc_lint_is_clean(rendered, source):
    assert run_quiet(["mandoc", "-T", "lint", "-W", "warning", str(rendered[page_name(source)])]) == ""


@pytest.mark.parametrize("source", PAGES, ids=page_name)
def test_groff_reports_no_warning(rendered, source):
    assert run_quiet(["groff", "-man", "-ww", "-z", str(rendered[page_name(source)])]) == ""


@pytest.mark.parametrize("source", PAGES, ids=page_name)
def test_man_renders_without_warnings(rendered, source):
    environment = {**os.environ, "MANWIDTH": "80", "PAGER": "cat", "MANPAGER": "cat", "LC_ALL": "C.UTF-8"}
    result = subprocess.run(["man", "-l", str(rendered[page_name(source)])], capture_output=True, text=True,
                            timeout=60, env=environment)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "NAME" in result.stdout and "SEE ALSO" in result.stdout


# Coverage: what --help lists, the pages document


def test_every_subcommand_has_a_page(certsmith):
    missing = [names[0] for names in subcommands(help_text(certsmith)) if not subcommand_page(names).exists()]
    assert missing == [], f"subcommands without a man/certsmith-NAME.1.scd page: {missing}"


def test_every_subcommand_page_is_for_a_subcommand(certsmith):
    expected = {subcommand_page(names) for names in subcommands(help_text(certsmith))}
    stale = [page.name for page in PAGES if page.name.startswith("certsmith-") and page not in expected]
    assert stale == [], f"pages for subcommands certsmith --help does not list: {stale}"


def test_main_page_lists_every_subcommand_and_its_aliases(certsmith):
    text = MAIN_PAGE.read_text()
    missing = [name for names in subcommands(help_text(certsmith)) for name in names if f"*{name}*" not in text]
    missing += [page.name for page in PAGES
                if page.name.startswith("certsmith-") and f"*{page_name(page)[:-2]}*(1)" not in text]
    assert missing == [], f"certsmith(1) does not name: {missing}"


def test_main_page_documents_every_global_option(certsmith):
    missing = sorted(option for option in long_options(help_text(certsmith)) if not documents(MAIN_PAGE, option))
    assert missing == [], f"options of certsmith --help missing from man/certsmith.1.scd: {missing}"


def test_every_subcommand_option_is_documented(certsmith):
    """A subcommand's own option belongs on its page; one certsmith --help lists too may be in certsmith(1)."""
    global_options = long_options(help_text(certsmith))
    missing = []
    for names in subcommands(help_text(certsmith)):
        page = subcommand_page(names)
        for option in sorted(long_options(help_text(certsmith, names[0]))):
            if page.exists() and documents(page, option):
                continue
            if option in global_options and documents(MAIN_PAGE, option):
                continue
            missing.append(f"{names[0]} {option}")
    assert missing == [], f"options of certsmith SUBCOMMAND --help missing from its page: {missing}"


def test_help_parsing_finds_options_and_subcommands(certsmith):
    """Guards the coverage tests: a change of --help's layout must not make them pass vacuously."""
    text = help_text(certsmith)
    assert {"--config-dir", "--cert-name", "--deploy-hook", "--renew-hook", "--help"} <= long_options(text)
    assert long_options("  --notify-email TEXT   needs --notify-smtp-url\n") == {"--notify-email"}
    assert ["update_account", "update-account"] in subcommands(text)
    assert ["renew"] in subcommands(text)
