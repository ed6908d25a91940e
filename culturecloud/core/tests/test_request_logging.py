"""Structured request logging: one JSON line per request, personal data redacted.

These tests capture the output of the console handler that settings.LOGGING really
configures (its formatter and its redaction filter), not a stand-in.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from culturecloud.core.logging import JsonFormatter, redact


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Point the configured JSON console handler at a buffer for the test."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    assert handlers, "settings.LOGGING must install the JSON console handler on the root logger"
    handler = handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)  # type: ignore[arg-type]


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _request_lines(buffer: io.StringIO) -> list[dict]:
    return [line for line in _lines(buffer) if line["logger"] == "culturecloud.request"]


def test_one_json_line_per_request_with_request_id(client, db, log_output):
    response = client.get("/api/v1/openapi.json", HTTP_X_REQUEST_ID="req-abc-123")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-abc-123"
    lines = _request_lines(log_output)
    assert len(lines) == 1
    line = lines[0]
    assert line["message"] == "request"
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/openapi.json"
    assert line["status"] == 200
    assert line["request_id"] == "req-abc-123"
    assert isinstance(line["duration_ms"], float | int)
    assert line["user_id"] is None
    assert line["ip"] == "127.0.0.1"
    assert "time" in line


def test_request_id_is_generated_when_absent_and_echoed(client, db, log_output):
    response = client.get("/api/v1/openapi.json")
    generated = response["X-Request-ID"]
    assert len(generated) == 32
    assert _request_lines(log_output)[0]["request_id"] == generated


def test_overlong_request_id_is_truncated(client, db, log_output):
    response = client.get("/api/v1/openapi.json", HTTP_X_REQUEST_ID="x" * 500)
    assert response["X-Request-ID"] == "x" * 64
    assert _request_lines(log_output)[0]["request_id"] == "x" * 64


def test_logged_in_user_id_is_logged(client, make_user, log_output):
    user = make_user()
    client.force_login(user)
    client.get("/api/v1/openapi.json")
    assert _request_lines(log_output)[-1]["user_id"] == user.pk


def test_healthz_is_not_logged(client, db, log_output):
    assert client.get("/healthz").status_code == 200
    assert _request_lines(log_output) == []


def test_phone_number_in_path_is_redacted(client, db, log_output):
    response = client.get("/no-such-page/13812345678/")
    assert response.status_code == 404
    output = log_output.getvalue()
    assert "13812345678" not in output
    paths = [line["path"] for line in _request_lines(log_output)]
    assert paths == ["/no-such-page/138****5678/"]


def test_id_number_and_phone_in_messages_are_redacted(db, log_output):
    logger = logging.getLogger("culturecloud.tests.redaction")
    logger.warning(
        "verify %s for phone %s",
        "11010519491231002X",
        "+8613912345678",
        extra={"contact": "call 15900001111 or 440106198001010012"},
    )
    output = log_output.getvalue()
    for secret in ("11010519491231002X", "13912345678", "15900001111", "440106198001010012"):
        assert secret not in output
    (line,) = [item for item in _lines(log_output) if item["logger"] == logger.name]
    assert line["message"] == "verify 1101**********002X for phone 139****5678"
    assert line["contact"] == "call 159****1111 or 4401**********0012"


def test_exception_text_is_redacted(db, log_output):
    logger = logging.getLogger("culturecloud.tests.redaction")
    try:
        raise ValueError("no account for 13700001234")
    except ValueError:
        logger.exception("lookup failed")
    output = log_output.getvalue()
    assert "13700001234" not in output
    (line,) = [item for item in _lines(log_output) if item["logger"] == logger.name]
    assert "137****1234" in line["exc"]
    assert line["level"] == "ERROR"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 order 8613812345678", "+86 order 138****5678"),
        ("110105194912310021", "1101**********0021"),
        ("order 202401011234567890123", "order 202401011234567890123"),  # too long: not a phone
        ("12812345678", "12812345678"),  # no mobile prefix 12x
        ("price 1381234567", "price 1381234567"),  # ten digits
    ],
)
def test_redact_patterns(text, expected):
    assert redact(text) == expected


def test_forwarded_client_ip_is_logged_only_behind_a_trusted_proxy(
    client, db, settings, log_output
):
    client.get("/api/v1/openapi.json", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    settings.TRUST_X_FORWARDED_FOR = True
    client.get("/api/v1/openapi.json", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    assert [line["ip"] for line in _request_lines(log_output)] == ["127.0.0.1", "203.0.113.9"]
