"""Assertions on Zoho's error envelope `{code, details, message, status}`."""

from __future__ import annotations

from typing import Any


def assert_error(answer: Any, status: int, code: str, details: Any = None) -> dict:
    """The answer is HTTP `status` with Zoho's single error envelope for `code`."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert body["code"] == code
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    if details is not None:
        assert body["details"] == details
    return body
