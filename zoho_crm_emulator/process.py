"""``EmulatorProcess``: run the emulator as a subprocess (tests, benchmarks, the demo).

Uses only the standard library::

    with EmulatorProcess("--users", "500") as emulator:
        config = emulator.config_for_tap()
        ...
        assert emulator.stats()["total_requests"] > 0

``command`` runs another emulator program instead of this interpreter's
``python -m zoho_crm_emulator``, for example an installed ``zoho-crm-emulator`` script.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from zoho_crm_emulator.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
_E = TypeVar("_E", bound="EmulatorProcess")  # Self, on Python 3.10 and the stdlib only


class EmulatorError(RuntimeError):
    """The emulator did not start or an inspection call failed."""


class EmulatorProcess:
    """``python -m zoho_crm_emulator --port 0 *cli_args`` as a context manager."""

    def __init__(
        self,
        *cli_args: str,
        start_timeout: float = 60.0,
        command: Sequence[str | Path] | None = None,
    ) -> None:
        self.cli_args = [str(arg) for arg in cli_args]
        # None: this interpreter runs this source tree's package (put first on PYTHONPATH).
        self.command = None if command is None else [str(part) for part in command]
        self.start_timeout = start_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._drain: threading.Thread | None = None
        self._start_config: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self: _E) -> _E:
        """Start the subprocess and wait for its base URL."""
        if self._proc is not None:
            return self
        env = dict(os.environ)
        program = self.command
        if program is None:
            program = [sys.executable, "-m", "zoho_crm_emulator"]
            env["PYTHONPATH"] = os.pathsep.join(
                part for part in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if part
            )
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [*program, "--port", "0", *self.cli_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        line = self._first_line()
        if not line.startswith("http"):
            err = self.stderr_text()
            self.stop()
            raise EmulatorError(f"emulator did not start: {line!r}\n{err}")
        self.url = line.strip()
        self._start_config = self.config()
        return self

    def _first_line(self) -> str:
        assert self._proc is not None
        assert self._proc.stdout is not None
        stdout = self._proc.stdout
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        if not result:
            self.stop()
            raise EmulatorError(f"emulator gave no URL within {self.start_timeout}s")
        # Keep draining stdout so the pipe can never fill up.
        self._drain = threading.Thread(target=lambda: [None for _ in stdout], daemon=True)
        self._drain.start()
        return result[0]

    def stderr_text(self) -> str:
        """What the emulator wrote on stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        self._stderr.seek(0, os.SEEK_END)
        return text

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, kill after ``timeout``; returns the exit code."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return proc.returncode

    @property
    def returncode(self) -> int | None:
        """The exit code once stopped, else ``None``."""
        return None if self._proc is None else self._proc.poll()

    def __enter__(self: _E) -> _E:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ inspection

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            self.url + path, data=data, method=method
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} {path}: {exc.code} {exc.read()!r}") from exc

    def stats(self) -> dict[str, Any]:
        """``GET /__emulator/stats``."""
        return dict(self._call("GET", "/__emulator/stats"))

    def state(self, sections: str | None = None) -> dict[str, Any]:
        """``GET /__emulator/state`` (optionally ``sections="territories,assignments"``)."""
        suffix = "" if sections is None else "?sections=" + urllib.parse.quote(sections)
        return dict(self._call("GET", "/__emulator/state" + suffix))

    def reset_stats(self) -> dict[str, Any]:
        """``POST /__emulator/reset-stats``."""
        return dict(self._call("POST", "/__emulator/reset-stats", {}))

    def reset_org(self) -> None:
        """``POST /__emulator/reset-org``: rebuild the org as it was at start."""
        self._call("POST", "/__emulator/reset-org", {})

    def reset(self) -> None:
        """The org, the live settings and the stats as they were at start."""
        self._call("POST", "/__emulator/config", self._start_config)
        self.reset_org()
        self.reset_stats()

    def config(self, **changes: Any) -> dict[str, Any]:
        """``POST /__emulator/config`` with ``changes`` (none: just read it)."""
        if not changes:
            return dict(self._call("GET", "/__emulator/config"))
        return dict(self._call("POST", "/__emulator/config", changes))

    # ------------------------------------------------------------------ admin changes

    def delete_user(self, user_id: str) -> dict[str, Any]:
        """``POST /__emulator/delete-user``: status deleted, assignments gone."""
        return dict(self._call("POST", "/__emulator/delete-user", {"user_id": user_id}))

    def delete_territory(self, territory_id: str) -> dict[str, Any]:
        """``POST /__emulator/delete-territory``: assignments gone, children to its parent."""
        body = {"territory_id": territory_id}
        return dict(self._call("POST", "/__emulator/delete-territory", body))

    def add_users(self, count: int = 1, status: str = "active") -> list[str]:
        """``POST /__emulator/add-users``: ``count`` new users; returns their ids."""
        body = {"count": count, "status": status}
        return [str(uid) for uid in self._call("POST", "/__emulator/add-users", body)["user_ids"]]

    def assign(self, user_id: str, territory_id: str) -> bool:
        """``POST /__emulator/assign``; whether the pair is new."""
        body = {"user_id": user_id, "territory_id": territory_id}
        return bool(self._call("POST", "/__emulator/assign", body)["changed"])

    def unassign(self, user_id: str, territory_id: str) -> bool:
        """``POST /__emulator/unassign``; whether the pair was there."""
        body = {"user_id": user_id, "territory_id": territory_id}
        return bool(self._call("POST", "/__emulator/unassign", body)["changed"])

    def issued_tokens(self) -> list[str]:
        """``GET /__emulator/tokens``: every access token issued so far, oldest first."""
        return [str(token) for token in self._call("GET", "/__emulator/tokens")["access_tokens"]]

    def revoke_refresh_token(self, token: str = REFRESH_TOKEN) -> dict[str, Any]:
        """``POST /oauth/v2/token/revoke?token=...``."""
        query = urllib.parse.urlencode({"token": token})
        return dict(self._call("POST", f"/oauth/v2/token/revoke?{query}", {}))

    def access_token(self) -> str:
        """Refresh once and return a new access token."""
        body = urllib.parse.urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310
            self.url + "/oauth/v2/token", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            token = json.loads(answer.read())
        if "access_token" not in token:
            raise EmulatorError(f"token refresh failed: {token}")
        return str(token["access_token"])

    def config_for_tap(self, **overrides: Any) -> dict[str, Any]:
        """Tap/target settings pointing at this emulator (the sample_config credentials)."""
        config: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "data_center": "us",
            "accounts_server": self.url,
            "max_concurrency": 5,
        }
        config.update(overrides)
        return config

    def wait_until_stopped(self, timeout: float = 10.0) -> int | None:
        """Wait for the process to exit by itself."""
        deadline = time.monotonic() + timeout
        while self._proc is not None and self._proc.poll() is None:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)
        return None if self._proc is None else self._proc.returncode
