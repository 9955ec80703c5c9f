"""An admin runs `certsmith renew` from a timer with --notify-email/--notify-webhook: a failed renewal reaches a
real local SMTP server (aiosmtpd) and a local webhook (JSON valid against docs/notifications.md's schema); a second
failing run within --notify-interval sends nothing; the recovery is told once; hostile settings are refused."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller  # Debian python3-aiosmtpd (install-deps.sh --test)

from conftest import REPO, describe
from pebble_env import free_ports

DOMAIN = "notify.example.com"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class MailSink:
    """aiosmtpd on a free loopback port; `messages` holds (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list = []
        self.port = free_ports(1)[0]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), envelope.mail_from, message))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class WebhookSink:
    """A local HTTP server recording each POSTed JSON document; answers `status`."""

    def __init__(self, status: int = 204):
        sink = self
        self.documents: list = []
        self.status = status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                sink.documents.append((self.headers.get("Content-Type"), json.loads(body)))
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mail_sink():
    sink = MailSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def webhook():
    sink = WebhookSink()
    yield sink
    sink.stop()


def documented_schema() -> dict:
    text = (REPO / "docs" / "notifications.md").read_text()
    block = text.split("<!-- schema -->", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return json.loads(block)


def validate(document, schema, where="$"):
    """The subset of JSON Schema docs/notifications.md uses: type, enum, required, properties, items, format."""
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        python = {"object": dict, "array": list, "string": str, "null": type(None)}
        ok = any((isinstance(document, int) and not isinstance(document, bool)) if t == "integer"
                 else isinstance(document, python[t]) for t in names)
        assert ok, f"{where}: {document!r} is not {types}"
    if "enum" in schema:
        assert document in schema["enum"], f"{where}: {document!r} not in {schema['enum']}"
    if schema.get("format") == "date-time" and isinstance(document, str):
        assert DATE_TIME.match(document), f"{where}: {document!r} is not an RFC 3339 UTC time"
    for key in schema.get("required", []):
        assert key in document, f"{where}: missing {key}"
    for key, sub in schema.get("properties", {}).items():
        if isinstance(document, dict) and key in document:
            validate(document[key], sub, f"{where}.{key}")
    if "items" in schema and isinstance(document, list):
        for i, item in enumerate(document):
            validate(item, schema["items"], f"{where}[{i}]")


def closed_server() -> str:
    """A directory URL nothing listens on: the renewal fails at its first request."""
    return f"https://127.0.0.1:{free_ports(1)[0]}/dir"


def notify_flags(mail_sink, webhook) -> list[str]:
    return ["--notify-email", "ops@example.com", "--notify-email", "dev@example.com",
            "--notify-smtp-url", mail_sink.url, "--notify-from", "certs@example.com",
            "--notify-webhook", webhook.url]


def test_failure_is_mailed_and_posted_once_then_recovery_once(run_certsmith, mail_sink, webhook):
    run = run_certsmith
    result = run.certonly(DOMAIN)
    assert result.returncode == 0, describe(result)

    failing = run("renew", "--force-renewal", "--server", closed_server(), *notify_flags(mail_sink, webhook))
    assert failing.returncode == 1, describe(failing)
    assert "renewal failed" in failing.stderr
    assert len(mail_sink.messages) == 1, describe(failing)
    recipients, sender, message = mail_sink.messages[0]
    assert sorted(recipients) == ["dev@example.com", "ops@example.com"]
    assert sender == "certs@example.com"
    assert message["Subject"].startswith(f"certsmith: renewal of {DOMAIN} failed on ")
    assert message["X-Certsmith-Event"] == "renewal_failed"
    assert DOMAIN in message.get_content()
    assert len(webhook.documents) == 1
    content_type, document = webhook.documents[0]
    assert content_type == "application/json"
    validate(document, documented_schema())
    assert document["event"] == "renewal_failed"
    assert document["lineage"] == DOMAIN and document["domains"] == [DOMAIN]
    assert document["error"] and document["failures"] == 1
    state = run.work_dir / "notify-state.json"
    assert state.stat().st_mode & 0o077 == 0

    # The timer fires again within the interval: nothing is sent.
    again = run("renew", "--force-renewal", "--server", closed_server(), *notify_flags(mail_sink, webhook))
    assert again.returncode == 1, describe(again)
    assert len(mail_sink.messages) == 1 and len(webhook.documents) == 1, describe(again)

    # Fixed: the recovery is told once, with the error it recovered from.
    fixed = run("renew", "--force-renewal", *notify_flags(mail_sink, webhook))
    assert fixed.returncode == 0, describe(fixed)
    assert len(mail_sink.messages) == 2 and len(webhook.documents) == 2, describe(fixed)
    assert mail_sink.messages[1][2]["X-Certsmith-Event"] == "renewal_recovered"
    recovered = webhook.documents[1][1]
    validate(recovered, documented_schema())
    assert recovered["event"] == "renewal_recovered" and recovered["error"] == document["error"]
    assert recovered["not_after"] is not None

    # The settings were saved with the renewal: a run with no flags uses them, and a success is not told.
    saved = run.config_dir / "certsmith" / "notify" / f"{DOMAIN}.conf"
    assert f"certsmith_notify_webhook = {webhook.url}" in saved.read_text()
    assert saved.stat().st_mode & 0o777 == 0o600
    assert "certsmith_notify" not in (run.config_dir / "renewal" / f"{DOMAIN}.conf").read_text()
    quiet = run("renew", "--force-renewal")
    assert quiet.returncode == 0, describe(quiet)
    assert len(webhook.documents) == 2
    failing_again = run("renew", "--force-renewal", "--server", closed_server())
    assert failing_again.returncode == 1
    assert len(webhook.documents) == 3 and webhook.documents[2][1]["event"] == "renewal_failed"
    assert len(mail_sink.messages) == 3


def test_interval_passed_re_notifies_and_cli_ini_sets_the_flags(run_certsmith, webhook):
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    run.system_cli_ini.parent.mkdir(parents=True, exist_ok=True)
    run.system_cli_ini.write_text(f"notify-webhook = {webhook.url}\nnotify-interval = 0s\n")
    for expected in (1, 2):
        result = run("renew", "--force-renewal", "--server", closed_server())
        assert result.returncode == 1, describe(result)
        assert len(webhook.documents) == expected, describe(result)
    assert webhook.documents[1][1]["failures"] == 2


def test_success_notice_only_when_asked(run_certsmith, webhook):
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    result = run("renew", "--force-renewal", "--notify-webhook", webhook.url, "--notify-on-success")
    assert result.returncode == 0, describe(result)
    assert [d["event"] for _, d in webhook.documents] == ["renewal_succeeded"]


def test_unreachable_webhook_and_smtp_are_warnings_not_failures(run_certsmith):
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    port = free_ports(1)[0]
    result = run("renew", "--force-renewal", "--notify-webhook", f"http://127.0.0.1:{port}/x",
                 "--notify-on-success", "--notify-email", "ops@example.com",
                 "--notify-smtp-url", f"smtp://127.0.0.1:{port}")
    assert result.returncode == 0, describe(result)
    assert "webhook notification failed" in result.stderr
    assert "mail notification failed" in result.stderr


@pytest.mark.parametrize("flags, message", [
    (["--notify-webhook", "file:///etc/passwd"], "must be an http:// or https:// URL"),
    (["--notify-webhook", "gopher://127.0.0.1:70/"], "must be an http:// or https:// URL"),
    (["--notify-email", "ops@example.com\r\nBcc: victim@example.com", "--notify-smtp-url", "smtp://127.0.0.1:25"],
     "is not a plain address"),
    (["--notify-email", "ops@example.com", "--notify-smtp-url", "smtp://127.0.0.1:25",
      "--notify-from", "a@b.c>\r\nRCPT TO:<x@y.z"], "is not a plain address"),
    (["--notify-email", "ops@example.com"], "needs --notify-smtp-url"),
    (["--notify-email", "ops@example.com", "--notify-smtp-url", "http://127.0.0.1/"], "must be smtp://"),
    (["--notify-webhook", "http://x/", "--notify-interval", "soon"], "is not a duration"),
    (["--notify-webhook", "http://x/", "--notify-ca-bundle", "/tmp/ca\n.pem"], "--notify-ca-bundle"),
    (["--no-notify", "--notify-on-success"], "--no-notify"),
])
def test_hostile_settings_are_refused_before_renewing(run_certsmith, flags, message):
    result = run_certsmith("renew", *flags)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: ") and message in lines[0], describe(result)
    assert "\r" not in result.stderr


def test_group_readable_smtp_credentials_are_refused(run_certsmith, tmp_path):
    credentials = tmp_path / "smtp.ini"
    credentials.write_text("smtp_username = certs\nsmtp_password = secret\n")
    credentials.chmod(0o640)
    result = run_certsmith("renew", "--notify-email", "ops@example.com", "--notify-smtp-url",
                           "smtp://127.0.0.1:25", "--notify-smtp-credentials", str(credentials))
    assert result.returncode == 2, describe(result)
    assert "accessible by group or others" in result.stderr
    assert "secret" not in result.stderr


# --- fix round (review A 1-5, 9-11): per-channel state, saved settings, TLS, SMTP AUTH ---

def saved_settings(run, name=DOMAIN):
    return run.config_dir / "certsmith" / "notify" / f"{name}.conf"


def test_flags_saved_without_renewing_then_completed_by_a_later_flag(run_certsmith, mail_sink, webhook):
    """Review A 10/11: renew --notify-smtp-url on a lineage that is not due saves it (0600, not in the renewal
    conf); a later renew --notify-email X is complete with it; --no-notify removes everything."""
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    saving = run("renew", "--notify-smtp-url", mail_sink.url, "--notify-webhook", webhook.url)
    assert saving.returncode == 0, describe(saving)
    assert "No renewals were attempted" in saving.stdout or "not due" in saving.stdout, describe(saving)
    saved = saved_settings(run)
    assert saved.stat().st_mode & 0o777 == 0o600
    assert (saved.parent.stat().st_mode & 0o777) == 0o700
    assert webhook.url in saved.read_text()
    assert "certsmith_notify" not in (run.config_dir / "renewal" / f"{DOMAIN}.conf").read_text()

    failing = run("renew", "--force-renewal", "--server", closed_server(), "--notify-email", "ops@example.com")
    assert failing.returncode == 1, describe(failing)
    assert len(mail_sink.messages) == 1 and len(webhook.documents) == 1, describe(failing)
    message = mail_sink.messages[0][2]
    assert re.fullmatch(r"<[0-9a-f]{32}@[A-Za-z0-9.-]+>", message["Message-ID"]), message["Message-ID"]
    assert message["Date"]

    both = run("renew", "--no-notify", "--notify-webhook", webhook.url)
    assert both.returncode == 2 and "--no-notify" in both.stderr, describe(both)
    cleared = run("renew", "--no-notify")
    assert cleared.returncode == 0, describe(cleared)
    assert not saved.exists()
    quiet = run("renew", "--force-renewal", "--server", closed_server())
    assert quiet.returncode == 1
    assert len(mail_sink.messages) == 1 and len(webhook.documents) == 1, describe(quiet)


def test_mail_without_smtp_url_anywhere_is_refused_before_renewing(run_certsmith):
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    result = run("renew", "--force-renewal", "--notify-email", "ops@example.com")
    assert result.returncode == 2, describe(result)
    assert "needs --notify-smtp-url" in result.stderr
    assert "Congratulations" not in result.stdout and not saved_settings(run).exists()


def test_renew_cert_name_keeps_other_lineages_state(run_certsmith, webhook):
    """Review A 1: renew --cert-name B must not drop A's notify state (A is not re-notified at once)."""
    run = run_certsmith
    a, b = "a." + DOMAIN, "b." + DOMAIN
    assert run.certonly(a).returncode == 0 and run.certonly(b).returncode == 0
    first = run("renew", "--force-renewal", "--server", closed_server(), "--notify-webhook", webhook.url)
    assert first.returncode == 1, describe(first)
    assert sorted(d["lineage"] for _, d in webhook.documents) == [a, b]
    fixed_b = run("renew", "--cert-name", b, "--force-renewal")
    assert fixed_b.returncode == 0, describe(fixed_b)
    assert [d["event"] for _, d in webhook.documents[2:]] == ["renewal_recovered"]
    state = json.loads((run.work_dir / "notify-state.json").read_text())
    assert a in state["lineages"] and state["lineages"][a]["failing"] is True
    again = run("renew", "--force-renewal", "--server", closed_server())
    assert again.returncode == 1, describe(again)
    # A is still inside its interval: only B's new failure is told.
    assert [(d["lineage"], d["event"]) for _, d in webhook.documents[3:]] == [(b, "renewal_failed")]


def test_webhook_down_mail_up_mail_once_webhook_retried_later(run_certsmith, mail_sink):
    """Review A 2: a failed channel is retried alone; the working one is not re-sent; failures never reset."""
    run = run_certsmith
    hook = WebhookSink(status=500)
    try:
        assert run.certonly(DOMAIN).returncode == 0
        flags = ["--notify-email", "ops@example.com", "--notify-smtp-url", mail_sink.url,
                 "--notify-webhook", hook.url]
        for _ in range(2):
            result = run("renew", "--force-renewal", "--server", closed_server(), *flags)
            assert result.returncode == 1, describe(result)
            assert "webhook notification failed" in result.stderr
        assert len(mail_sink.messages) == 1 and len(hook.documents) == 2
        hook.status = 204
        result = run("renew", "--force-renewal", "--server", closed_server())
        assert result.returncode == 1, describe(result)
        assert len(mail_sink.messages) == 1 and len(hook.documents) == 3, describe(result)
        assert hook.documents[2][1]["failures"] == 3
        result = run("renew", "--force-renewal", "--server", closed_server())
        assert len(mail_sink.messages) == 1 and len(hook.documents) == 3, describe(result)
    finally:
        hook.stop()


def test_expiring_event_only_when_renewal_is_not_working(run_certsmith, webhook):
    """The "expires in < N days" notice: not for a healthy lineage that is simply not due; yes when
    autorenew is off (nothing will renew it) and when its renewal fails."""
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    healthy = run("renew", "--notify-webhook", webhook.url, "--notify-expiry-days", "3650")
    assert healthy.returncode == 0, describe(healthy)
    assert webhook.documents == [], describe(healthy)
    conf = run.config_dir / "renewal" / f"{DOMAIN}.conf"
    conf.write_text(conf.read_text().replace("[renewalparams]\n", "[renewalparams]\nautorenew = False\n"))
    off = run("renew")
    assert off.returncode == 0, describe(off)
    assert [d["event"] for _, d in webhook.documents] == ["expiring"], describe(off)
    document = webhook.documents[0][1]
    validate(document, documented_schema())
    assert document["not_after"] and document["failures"] == 0
    again = run("renew")
    assert len(webhook.documents) == 1, describe(again)


def test_hostile_notify_state_is_reset_with_one_warning(run_certsmith, webhook):
    run = run_certsmith
    assert run.certonly(DOMAIN).returncode == 0
    state = run.work_dir / "notify-state.json"
    state.write_text(json.dumps({"lineages": {DOMAIN: {"failing": "yes", "failures": [1]},
                                              "x" * 5000: {"failing": True}}}))
    result = run("renew", "--force-renewal", "--server", closed_server(), "--notify-webhook", webhook.url)
    assert result.returncode == 1, describe(result)
    assert result.stderr.count("ignoring the notification state") == 1, describe(result)
    assert [d["event"] for _, d in webhook.documents] == ["renewal_failed"]
    assert "x" * 5000 not in state.read_text()


# --- SMTP AUTH over STARTTLS against a real aiosmtpd with a throw-away CA ---

def throwaway_tls(tmp_path):
    """A self-signed certificate for 127.0.0.1 (python cryptography); returns (cert path, key path)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notify test smtp")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class AuthMailSink(MailSink):
    """aiosmtpd requiring AUTH (PLAIN/LOGIN) and, when `tls` is given, offering STARTTLS; records logins."""

    def __init__(self, tls=None):
        import ssl
        from aiosmtpd.smtp import AuthResult

        self.messages = []
        self.logins: list = []
        self.port = free_ports(1)[0]

        def authenticator(server, session, envelope, mechanism, auth_data):
            self.logins.append((mechanism, auth_data.login.decode(), auth_data.password.decode(),
                                session.ssl is not None))
            ok = auth_data.login == b"certs" and auth_data.password == b"s3cret"
            return AuthResult(success=ok)

        kwargs = {"authenticator": authenticator, "auth_required": True}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        else:
            kwargs.update(auth_require_tls=False)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)


def smtp_credentials(tmp_path):
    path = tmp_path / "smtp.ini"
    path.write_text("smtp_username = certs\nsmtp_password = s3cret\n")
    path.chmod(0o600)
    return path


def test_smtp_auth_over_starttls_with_notify_ca_bundle(run_certsmith, tmp_path):
    """The mail goes through STARTTLS verified against --notify-ca-bundle (not --ca-bundle, not the system
    store), then AUTH; the bundle is saved with the other notify keys."""
    run = run_certsmith
    tls = throwaway_tls(tmp_path)
    sink = AuthMailSink(tls)
    sink.controller.start()
    try:
        assert run.certonly(DOMAIN).returncode == 0
        flags = ["--notify-email", "ops@example.com", "--notify-smtp-url", sink.url,
                 "--notify-smtp-credentials", str(smtp_credentials(tmp_path))]
        untrusted = run("renew", "--force-renewal", "--server", closed_server(), *flags)
        assert untrusted.returncode == 1, describe(untrusted)
        assert "mail notification failed" in untrusted.stderr and not sink.messages
        assert not sink.logins  # the password never went to a server we could not verify
        trusted = run("renew", "--force-renewal", "--server", closed_server(), *flags,
                      "--notify-ca-bundle", str(tls[0]))
        assert trusted.returncode == 1, describe(trusted)
        assert len(sink.messages) == 1, describe(trusted)
        assert sink.logins and all(encrypted for *_, encrypted in sink.logins)
        assert sink.logins[-1][1:3] == ("certs", "s3cret")
        assert f"certsmith_notify_ca_bundle = {tls[0]}" in saved_settings(run).read_text()
    finally:
        sink.controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_url_with_password_and_no_starttls_is_refused(run_certsmith, tmp_path):
    """smtp:// with credentials against a server that offers no STARTTLS: nothing sent, no password in clear."""
    run = run_certsmith
    sink = AuthMailSink(None)
    sink.controller.start()
    try:
        assert run.certonly(DOMAIN).returncode == 0
        result = run("renew", "--force-renewal", "--server", closed_server(), "--notify-email", "ops@example.com",
                     "--notify-smtp-url", sink.url, "--notify-smtp-credentials", str(smtp_credentials(tmp_path)))
        assert result.returncode == 1, describe(result)
        assert "mail notification failed" in result.stderr
        assert not sink.logins and not sink.messages
        assert "s3cret" not in result.stderr
    finally:
        sink.controller.stop()


def test_certonly_and_reconfigure_save_the_notify_flags(run_certsmith, webhook):
    """Review A 11: certonly saves --notify-* for the lineage it writes; reconfigure sets them without a dry
    run and --no-notify clears them; an incomplete set is refused before anything is written."""
    run = run_certsmith
    refused = run.certonly(DOMAIN, extra=("--notify-email", "ops@example.com"))
    assert refused.returncode == 2 and "needs --notify-smtp-url" in refused.stderr, describe(refused)
    assert not (run.config_dir / "renewal" / f"{DOMAIN}.conf").exists()
    issued = run.certonly(DOMAIN, extra=("--notify-webhook", webhook.url, "--notify-interval", "1h"))
    assert issued.returncode == 0, describe(issued)
    saved = saved_settings(run)
    assert webhook.url in saved.read_text() and "certsmith_notify_interval = 3600s" in saved.read_text()
    assert saved.stat().st_mode & 0o777 == 0o600

    other = WebhookSink()
    try:
        changed = run("reconfigure", "--cert-name", DOMAIN, "--notify-webhook", other.url)
        assert changed.returncode == 0, describe(changed)
        assert "dry run" not in changed.stdout + changed.stderr, describe(changed)
        assert other.url in saved.read_text() and "3600s" in saved.read_text()
        failing = run("renew", "--force-renewal", "--server", closed_server())
        assert failing.returncode == 1
        assert len(other.documents) == 1 and webhook.documents == [], describe(failing)
    finally:
        other.stop()
    cleared = run("reconfigure", "--cert-name", DOMAIN, "--no-notify")
    assert cleared.returncode == 0, describe(cleared)
    assert not saved.exists()


def test_https_webhook_trusts_notify_ca_bundle_not_the_acme_bundle(run_certsmith, pebble):
    """Review A 3: the webhook is served with Pebble's own listener certificate, which the ACME
    REQUESTS_CA_BUNDLE trusts: that trust must not carry over; --notify-ca-bundle gives it."""
    import ssl
    run = run_certsmith
    hook = WebhookSink()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pebble.ca_bundle), str(pebble.tls_key))
    hook.server.socket = context.wrap_socket(hook.server.socket, server_side=True)
    url = hook.url.replace("http://", "https://")
    try:
        assert run.certonly(DOMAIN).returncode == 0
        untrusted = run("renew", "--force-renewal", "--server", closed_server(), "--notify-webhook", url)
        assert untrusted.returncode == 1, describe(untrusted)
        assert "webhook notification failed" in untrusted.stderr and hook.documents == [], describe(untrusted)
        trusted = run("renew", "--force-renewal", "--server", closed_server(), "--notify-ca-bundle",
                      str(pebble.ca_bundle))
        assert trusted.returncode == 1, describe(trusted)
        assert [d["event"] for _, d in hook.documents] == ["renewal_failed"], describe(trusted)
        missing = run("renew", "--notify-webhook", url, "--notify-ca-bundle", str(run.sandbox / "nope.pem"))
        assert missing.returncode == 2 and "--notify-ca-bundle" in missing.stderr, describe(missing)
    finally:
        hook.stop()


def test_unsafe_settings_file_is_a_warning_and_renewal_goes_on(run_certsmith, webhook):
    run = run_certsmith
    assert run.certonly(DOMAIN, extra=("--notify-webhook", webhook.url)).returncode == 0
    saved = saved_settings(run)
    saved.chmod(0o644)
    for flags in ((), ("--notify-on-success",)):
        result = run("renew", "--force-renewal", *flags)
        assert result.returncode == 0, describe(result)
        assert "renewed" in result.stdout and "only its owner can access" in result.stderr, describe(result)
    assert webhook.documents == []
