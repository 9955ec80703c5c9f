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
    conf = (run.config_dir / "renewal" / f"{DOMAIN}.conf").read_text()
    assert f"certsmith_notify_webhook = {webhook.url}" in conf
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
