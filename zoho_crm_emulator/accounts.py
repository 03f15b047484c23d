"""The accounts server's endpoints: ``POST /oauth/v2/token`` (with its faults) and the revoke.

A token request is counted, then a token fault may be drawn (``token_fault_rate``,
``token_faults``): ``html``, ``redirect`` and a ``drop`` before processing answer without
granting anything; otherwise the grant is processed (a token issued counts against the
refresh throttle), and ``token-newline``, ``token-space``, ``expires-*`` spoil its JSON,
``drop`` after processing loses it, and the wire faults send it badly.
"""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from zoho_crm_emulator.api import Response
from zoho_crm_emulator.faults import TOKEN_SPOILERS, Fault
from zoho_crm_emulator.gate import Incoming, html_response, redirect_response

if TYPE_CHECKING:
    from zoho_crm_emulator.server import EmulatorServer

#: ``expires_in`` as the ``expires-*`` faults send it (``None``: the key is left out).
SPOILED_EXPIRES: dict[str, Any] = {
    "expires-missing": None,
    "expires-negative": -100,
    "expires-text": "one hour",
}


def form(incoming: Incoming) -> dict[str, str]:
    """The token request's parameters: query, form body (urlencoded or multipart), Basic."""
    params = {key: values[0] for key, values in incoming.query.items() if values}
    content_type = incoming.headers.get("content-type", "")
    body = incoming.body
    if body and content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True) or b""
                params[str(name)] = bytes(payload).decode("utf-8", "replace")
    elif body:
        text = body.decode("utf-8", "replace")
        for key, values in parse_qs(text, keep_blank_values=True).items():
            params[key] = values[0]
    auth = incoming.headers.get("authorization", "")
    if auth.lower().startswith("basic ") and "client_id" not in params:
        try:
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            params.setdefault("client_id", user)
            params.setdefault("client_secret", secret)
        except ValueError:
            pass
    return params


def revoke_answer(server: EmulatorServer, incoming: Incoming) -> Response:
    """``POST /oauth/v2/token/revoke?token=...`` (never faulted, not counted)."""
    if incoming.method != "POST":
        return Response(405, {"error": "invalid_request", "error_description": "use POST"})
    revoked = server.tokens.revoke(form(incoming).get("token", ""))
    return Response(200, {"status": "success"} if revoked else {"error": "invalid_token"})


def token_answer(
    server: EmulatorServer, incoming: Incoming
) -> tuple[Response | None, Fault | None]:
    """The answer to a token request (``None``: drop the connection) and the fault drawn."""
    if incoming.method != "POST":
        return Response(405, {"error": "invalid_request", "error_description": "use POST"}), None
    server.stats.count_token_request()
    fault = server.faults.draw_token()
    kind = fault.kind if fault is not None else ""
    if kind in ("html", "redirect") or (kind == "drop" and fault and not fault.after):
        server.stats.token_fault(kind)
        return _before(server, incoming, fault), fault
    grant = server.tokens.grant(form(incoming), server.base_url)
    if kind in TOKEN_SPOILERS and spoil(server, grant, kind):
        server.stats.token_fault(kind)
    if kind == "drop":
        server.stats.token_fault(kind)
        return None, fault
    return Response(200, grant), fault


def _before(server: EmulatorServer, incoming: Incoming, fault: Fault | None) -> Response | None:
    if fault is None or fault.kind == "drop":
        return None
    if fault.kind == "html":
        return html_response(int(fault.variant or 502))
    return redirect_response(int(fault.variant or 307), server, incoming.target)


def spoil(server: EmulatorServer, grant: dict[str, Any], kind: str) -> bool:
    """Spoil a granted token's answer in place; ``False`` when it granted nothing.

    ``token-newline`` appends a newline to the token, ``token-space`` puts a space in its
    middle (the spoiled token is listed by ``/__emulator/tokens`` and is not valid);
    ``expires-*`` change ``expires_in`` (the token itself is valid for ``token_ttl``).
    """
    token = grant.get("access_token")
    if not isinstance(token, str):
        return False
    if kind in SPOILED_EXPIRES:
        value = SPOILED_EXPIRES[kind]
        if value is None:
            grant.pop("expires_in", None)
        else:
            grant["expires_in"] = value
        return True
    middle = len(token) // 2
    bad = token + "\n" if kind == "token-newline" else f"{token[:middle]} {token[middle:]}"
    server.tokens.replace_issued(token, bad)
    grant["access_token"] = bad
    return True
