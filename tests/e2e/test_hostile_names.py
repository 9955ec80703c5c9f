"""Hostile input table: bad domain names, certificate names and emails are refused before anything is
sent or written.

Every refusal must be exit 2 with one `certsmith: error:` line naming the problem, leave the config, work and
logs dirs uncreated, and happen before any network use: these runs point at a server that does not listen,
so a command that got as far as the network would fail differently (exit 3, another message).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import describe
from inspect_tree import parse_renewal_conf, sans

# Nothing listens on port 9 (discard) of loopback in the test environment.
NO_SERVER = SimpleNamespace(directory_url="https://127.0.0.1:9/directory", ca_bundle=Path("/nonexistent-ca.pem"),
                            http_port=5002)

# (domain, words the error line must contain)
BAD_DOMAINS = [
    ("", "it is empty"),
    (".", "empty"),
    ("localhost", "not a fully qualified domain name"),
    ("a;touch /tmp/hostile-x.example.com", "';'"),
    ("$(touch /tmp/hostile-x).example.com", "'$'"),
    ("`id`.example.com", "quote"),
    ("a'b.example.com", "quote"),
    ('a"b.example.com', "quote"),
    ("a b.example.com", "space"),
    ("a\tb.example.com", "control character"),
    ("a\x1b[31mred.example.com", "control character"),
    ("line\nbreak.example.com", "control character"),
    ("../../etc/passwd", "path separator"),
    ("a/b.example.com", "path separator"),
    ("a\\b.example.com", "path separator"),
    ("a..b.example.com", "empty label"),
    (".example.com", "empty label"),
    ("example.com..", "empty label"),
    ("-a.example.com", "starts or ends with '-'"),
    ("a-.example.com", "starts or ends with '-'"),
    ("*.*.example.com", "wildcard"),
    ("www.*.example.com", "wildcard"),
    ("a*.example.com", "wildcard"),
    ("a_b.example.com", "'_'"),
    ("a|b.example.com", "'|'"),
    ("a&b.example.com", "'&'"),
    ("example.com:443", "--ip-address"),
    ("192.0.2.1", "--ip-address"),
    ("192.0.2.1.", "--ip-address"),
    ("2001:db8::1", "--ip-address"),
    ("example.123", "all digits"),
    ("a" * 64 + ".example.com", "longer than 63"),
    (("a" * 60 + ".") * 5 + "com", "longer than 253"),
    ("ab--cd.example.com", "hyphens"),
    ("xn--zz.example.com", "international domain name"),
    ("\u2603.example.com", "international domain name"),
    ("a\u202eb.example.com", "international domain name"),
    # Full-width forms UTS #46 maps to forbidden ASCII: the mapped name is checked too.
    ("\uff41\uff0f\uff42.example.com", "path separator"),  # FULLWIDTH a / b
    ("a\uff3cb.example.com", "path separator"),  # FULLWIDTH REVERSE SOLIDUS
    ("a.\uff0a.example.com", "wildcard may only be the whole first label"),  # FULLWIDTH ASTERISK
    ("\uff0a.example.com", "ASCII '*'"),
    ("\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff1a80.com", "':'"),  # FULLWIDTH "example:80"
    ("a\uff3fb.example.com", "'_'"),  # FULLWIDTH LOW LINE
    ("a\u3000b.example.com", "space"),  # IDEOGRAPHIC SPACE
    ("\uff11\uff12\uff17.0.0.1", "--ip-address"),  # FULLWIDTH digits
    # Full-width and ideographic dots separate labels (UTS #46), then the labels are checked.
    ("a\uff0e\uff0eb.example.com", "empty label"),
    ("example.com\u3002.", "empty label"),
    ("localhost\uff61", "not a fully qualified domain name"),
]

# (cert name, words the error line must contain)
BAD_CERT_NAMES = [
    ("", "it is empty"),
    (".", "names a directory"),
    ("..", "names a directory"),
    ("../evil", "starts with '.'"),
    ("a/b", "'/'"),
    ("/etc/passwd", "'/'"),
    ("../../../../tmp/hostile-cert-name", "starts with '.'"),
    (".hidden", "starts with '.'"),
    ("-rf", "starts with '.' or '-'"),
    ("--help-me", "starts with '.' or '-'"),
    (" ", "space"),
    ("   ", "space"),
    (" lead", "space"),
    ("trail ", "space"),
    ("tab\there", "control character"),
    ("new\nline", "control character"),
    ("cr\rname", "control character"),
    ("esc\x1b[2J", "control character"),
    ("del\x7f", "control character"),
    ("x" * 251, "longer than 250"),
    ("x" * 300, "longer than 250"),
    ("ok/../../evil", "'/'"),
]

# (email, words the error line must contain)
BAD_EMAILS = [
    ("plainaddress", "no '@'"),
    ("@example.com", "before '@' is empty"),
    ("a@", "after '@' is empty"),
    ("a@b", "fully qualified"),
    ("a@@example.com", "more than one '@'"),
    ("a@b@example.com", "more than one '@'"),
    ("a b@example.com", "space"),
    ("a@exa mple.com", "space"),
    ('"a"@example.com', "quote"),
    ("a`id`@example.com", "quote"),
    ("<a@example.com>", "angle brackets"),
    ("Name <a@example.com>", "space"),
    ("a\n@example.com", "control character"),
    ("a\x1b]0;title\x07@example.com", "control character"),
    (".a@example.com", "misplaced '.'"),
    ("a..b@example.com", "misplaced '.'"),
    ("a(b)@example.com", "'('"),
    ("a;b@example.com", "';'"),
    ("a@-example.com", "starts or ends with '-'"),
    ("a@example..com", "empty label"),
    ("a@*.example.com", "must be a domain name"),
    ("a@[192.0.2.1]", "must be a domain name"),
    ("a@192.0.2.1", "--ip-address"),
    ("a@b_c.example.com", "'_'"),
    ("a@x\uff0fy.example.com", "path separator"),  # FULLWIDTH SOLIDUS maps to '/'
    ("a@\uff0a.example.com", "wildcard"),  # FULLWIDTH ASTERISK maps to '*'
    ("\u00fc@example.com", "must be ASCII"),
    ("a" * 65 + "@example.com", "longer than 64"),
    ("ok@example.com,bad", "no '@'"),
    ("mailto:a", "no '@'"),
    ("mailto:", "no address after 'mailto:'"),
]


@pytest.fixture
def offline(make_runner):
    """A runner whose server does not listen: validation must refuse before any request."""
    return make_runner(NO_SERVER)


def assert_refused(runner, result, words: str) -> None:
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert words in lines[0], f"expected {words!r} in the error line\n" + describe(result)
    # One line, so nothing the user typed reached the terminal raw.
    assert "\x1b" not in result.stderr and "\r" not in result.stderr, describe(result)
    for directory in (runner.config_dir, runner.work_dir, runner.logs_dir):
        assert not directory.exists(), f"{directory} was created\n" + describe(result)


def test_the_tables_are_big_enough():
    assert len(BAD_DOMAINS) >= 20 and len(BAD_CERT_NAMES) >= 20 and len(BAD_EMAILS) >= 20


def certonly_args(*extra: str) -> list[str]:
    return ["certonly", "--standalone", "--agree-tos", *extra]


def flag(name: str, value: str) -> list[str]:
    """--name=VALUE keeps a value such as "-rf" from being read as flags; an empty value goes apart
    ("--name=" means a missing value to the parser)."""
    return [f"--{name}={value}"] if value else [f"--{name}", value]


@pytest.mark.parametrize("domain,words", BAD_DOMAINS, ids=[repr(d)[:40] for d, _ in BAD_DOMAINS])
def test_bad_domain_is_refused_by_certonly(offline, domain, words):
    marker = Path("/tmp/hostile-x")
    result = offline(*certonly_args("--register-unsafely-without-email", *flag("domains", domain)))
    assert_refused(offline, result, words)
    assert not marker.exists() and not Path("/tmp/hostile-x.example.com").exists()


@pytest.mark.parametrize("domain,words", BAD_DOMAINS[:8], ids=[repr(d)[:40] for d, _ in BAD_DOMAINS[:8]])
def test_bad_domain_is_refused_after_a_good_one_and_by_webroot(offline, sandbox, domain, words):
    result = offline("certonly", "--webroot", "-w", str(sandbox), "-d", "good.example.com",
                     *flag("domains", domain), "--agree-tos", "--register-unsafely-without-email")
    assert_refused(offline, result, words)


@pytest.mark.parametrize("name,words", BAD_CERT_NAMES, ids=[repr(n)[:40] for n, _ in BAD_CERT_NAMES])
@pytest.mark.parametrize("command", ["certonly", "delete", "revoke", "reconfigure", "renew"])
def test_bad_cert_name_is_refused(offline, command, name, words):
    if command == "certonly":
        result = offline(*certonly_args("--register-unsafely-without-email", "-d", "name.example.com",
                                        *flag("cert-name", name)))
    else:
        result = offline(command, *flag("cert-name", name))
    assert_refused(offline, result, words)
    assert not Path("/tmp/hostile-cert-name").exists()


@pytest.mark.parametrize("email,words", BAD_EMAILS, ids=[repr(e)[:40] for e, _ in BAD_EMAILS])
def test_bad_email_is_refused_by_certonly(offline, email, words):
    result = offline(*certonly_args("-d", "mail.example.com", *flag("email", email)))
    assert_refused(offline, result, words)


@pytest.mark.parametrize("email,words", BAD_EMAILS[:6], ids=[repr(e)[:40] for e, _ in BAD_EMAILS[:6]])
@pytest.mark.parametrize("command", ["register", "update_account"])
def test_bad_email_is_refused_by_account_commands(offline, command, email, words):
    result = offline(command, "--agree-tos", *flag("email", email))
    assert_refused(offline, result, words)


def test_bad_ip_address_is_refused(offline):
    result = offline("certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email",
                     "--ip-address", "192.0.2.300")
    assert_refused(offline, result, "invalid IP address")


# --- what must still work: IDN names become punycode, certbot's list leniency ---

def test_idn_name_is_issued_as_punycode_lineage(run_certsmith):
    result = run_certsmith.certonly("b\u00fccher.example", "WWW.B\u00dcCHER.example.")
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "xn--bcher-kva.example"
    assert sans(live / "cert.pem") == {"xn--bcher-kva.example", "www.xn--bcher-kva.example"}
    assert (run_certsmith.config_dir / "renewal" / "xn--bcher-kva.example.conf").is_file()


def test_punycode_and_unicode_spellings_are_one_name(run_certsmith):
    result = run_certsmith.certonly("xn--strae-oqa.example", "stra\u00dfe.example")
    assert result.returncode == 0, describe(result)
    assert sans(run_certsmith.config_dir / "live" / "xn--strae-oqa.example" / "cert.pem") == {
        "xn--strae-oqa.example"}


def test_email_list_with_empty_items_and_idn_domain_registers(run_certsmith):
    result = run_certsmith("certonly", "--standalone", "--agree-tos", "-d", "contact.example.com",
                           "-m", ",admin@b\u00fccher.example,, mailto:ops@example.com ,")
    assert result.returncode == 0, describe(result)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "contact.example.com.conf")
    assert conf["renewalparams"]["account"], "the lineage names no account"


# --- name limits: what the file system needs, and no less ---

@pytest.mark.parametrize("command", ["delete", "revoke", "reconfigure"])
def test_long_existing_cert_name_is_not_refused_as_a_name(offline, command):
    """certbot may have made a lineage whose name has up to 250 bytes (renewal/NAME.conf fits 255):
    --cert-name must still reach it. Here it does not exist, so the refusal is about that, not the name."""
    result = offline(command, "--cert-name", "x" * 250)
    assert result.returncode != 0, describe(result)
    assert "invalid certificate name" not in result.stderr, describe(result)


def test_new_cert_name_over_220_is_refused_before_any_request(offline):
    result = offline(*certonly_args("--register-unsafely-without-email", "-d", "name.example.com",
                                    "--cert-name", "x" * 221))
    # Refused once the lineage is known not to exist, which may be after the logs dir is made.
    assert result.returncode == 2, describe(result)
    assert "at most 220 characters" in result.stderr, describe(result)
    assert not (offline.config_dir / "renewal").exists(), describe(result)

