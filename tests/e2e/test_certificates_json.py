"""A monitoring script reads `certsmith certificates --json` and relies on the schema documented in
docs/certificates-json.md: every document the command prints is checked against that schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, describe
from inspect_tree import not_after, not_before, serial_hex

DOC = REPO / "docs" / "certificates-json.md"


def _documented_schema() -> dict:
    """The first ```json block after '## Schema' in the doc."""
    text = DOC.read_text()
    section = text[text.index("## Schema"):]
    m = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert m, f"{DOC} has no JSON schema block"
    return json.loads(m.group(1))


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is_type(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def validate(value, schema: dict, where: str = "$") -> list[str]:
    """The subset of JSON Schema the doc uses: type, const, enum, required, properties,
    additionalProperties (false or a schema), items, pattern."""
    errors: list[str] = []
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, t) for t in types):
            return errors + [f"{where}: {value!r} is not of type {types}"]
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}: missing {key}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += validate(item, properties[key], f"{where}.{key}")
            elif extra is False:
                errors.append(f"{where}: unexpected key {key}")
            elif isinstance(extra, dict):
                errors += validate(item, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += validate(item, schema["items"], f"{where}[{index}]")
    return errors


def _certificates_json(run, *args) -> dict:
    result = run("certificates", "--json", *args)
    assert result.returncode == 0, describe(result)
    document = json.loads(result.stdout)
    problems = validate(document, _documented_schema())
    assert not problems, "output does not follow docs/certificates-json.md:\n" + "\n".join(problems)
    return document


def _names(document: dict) -> list[str]:
    return [entry["name"] for entry in document["certificates"]]


def test_the_checker_catches_what_the_schema_forbids():
    """The hand-written checker is only useful if it rejects bad documents."""
    schema = _documented_schema()
    assert validate({"schema_version": 1, "certificates": []}, schema) == []
    assert validate({"schema_version": 2, "certificates": []}, schema)
    assert validate({"schema_version": 1, "certificates": [{"name": "x"}]}, schema)
    assert validate({"schema_version": 1, "certificates": [], "extra": 1}, schema)


def test_empty_tree(run_certsmith):
    assert _certificates_json(run_certsmith) == {"schema_version": 1, "certificates": []}


def test_each_lineage_with_its_facts_and_settings(run_certsmith):
    assert run_certsmith.certonly("json-a.example.com", "www.json-a.example.com").returncode == 0
    assert run_certsmith.certonly("json-b.example.com").returncode == 0
    document = _certificates_json(run_certsmith)
    assert _names(document) == ["json-a.example.com", "json-b.example.com"]

    entry = document["certificates"][0]
    live = run_certsmith.config_dir / "live" / "json-a.example.com"
    assert entry["status"] == "valid" and entry["problem"] is None
    assert entry["domains"] == ["json-a.example.com", "www.json-a.example.com"]
    assert entry["ip_addresses"] == []
    assert entry["serial"] == serial_hex(live / "cert.pem")
    assert entry["key_type"] == "ECDSA"
    assert "Pebble" in entry["issuer"]
    expiry = not_after(live / "cert.pem")
    assert entry["not_after"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry["not_before"] == not_before(live / "cert.pem").strftime("%Y-%m-%dT%H:%M:%SZ")
    assert abs(entry["days_left"] - (expiry - dt.datetime.now(dt.timezone.utc)).days) <= 1
    assert entry["paths"] == {
        "cert": str(live / "cert.pem"), "chain": str(live / "chain.pem"),
        "fullchain": str(live / "fullchain.pem"), "privkey": str(live / "privkey.pem"),
        "renewal_conf": str(run_certsmith.config_dir / "renewal" / "json-a.example.com.conf")}
    assert entry["renewal"]["authenticator"] == "standalone"
    assert entry["renewal"]["server"] == run_certsmith.server
    assert entry["renewal"]["key_type"] == "ecdsa"


def test_autorenew_is_false_only_for_a_lineage_obtained_with_no_autorenew(run_certsmith):
    assert run_certsmith.certonly("auto-on.example.com").returncode == 0
    assert run_certsmith.certonly("auto-off.example.com", extra=("--no-autorenew",)).returncode == 0
    document = _certificates_json(run_certsmith)
    assert {entry["name"]: entry["autorenew"] for entry in document["certificates"]} == {
        "auto-off.example.com": False, "auto-on.example.com": True}


def test_filters_by_cert_name_and_domain(run_certsmith):
    for names in (("flt-a.example.com", "www.flt-a.example.com"), ("flt-b.example.com",)):
        assert run_certsmith.certonly(*names).returncode == 0
    assert _names(_certificates_json(run_certsmith, "--cert-name", "flt-b.example.com")) == ["flt-b.example.com"]
    assert _names(_certificates_json(run_certsmith, "-d", "www.flt-a.example.com")) == ["flt-a.example.com"]
    assert _names(_certificates_json(run_certsmith, "-d", "WWW.FLT-A.example.com")) == ["flt-a.example.com"]
    assert _names(_certificates_json(run_certsmith, "-d", "flt-a.example.com", "-d", "flt-b.example.com")) == []
    assert _names(_certificates_json(run_certsmith, "--cert-name", "nope.example.com")) == []


def test_unreadable_lineage_is_invalid_with_its_problem(run_certsmith):
    assert run_certsmith.certonly("json-ok.example.com").returncode == 0
    assert run_certsmith.certonly("json-broken.example.com").returncode == 0
    (run_certsmith.config_dir / "live" / "json-broken.example.com" / "cert.pem").unlink()
    document = _certificates_json(run_certsmith)
    broken = document["certificates"][0]
    assert broken["name"] == "json-broken.example.com"
    assert broken["status"] == "invalid" and broken["problem"], broken
    assert broken["serial"] is None and broken["days_left"] is None
    assert broken["renewal"]["authenticator"] == "standalone"
    assert document["certificates"][1]["status"] == "valid"
    # -d cannot judge a lineage without names: like certbot's listing, it stays in view.
    assert _names(_certificates_json(run_certsmith, "-d", "json-ok.example.com")) == \
        ["json-broken.example.com", "json-ok.example.com"]


def test_expired_certificate_has_negative_days(make_runner, pebble_factory):
    import time
    run = make_runner(pebble_factory(validity_seconds=2))
    assert run.certonly("json-expired.example.com").returncode == 0
    expiry = not_after(run.config_dir / "live" / "json-expired.example.com" / "cert.pem")
    wait = (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds() + 1.5
    if wait > 0:
        time.sleep(min(wait, 10))
    entry = _certificates_json(run)["certificates"][0]
    assert entry["status"] == "expired" and entry["days_left"] == -1, entry


def test_the_documented_example_follows_the_schema():
    text = DOC.read_text()
    section = text[text.index("## Example"):]
    m = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert m, f"{DOC} has no example"
    assert validate(json.loads(m.group(1)), _documented_schema()) == []
