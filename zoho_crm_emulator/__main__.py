"""``zoho-crm-emulator``: the command line.  Prints the base URL first, then serves.

A bad option or a port in use is one line on stderr and exit code 2 (no traceback).
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from zoho_crm_emulator import __version__
from zoho_crm_emulator.config import (
    API_FAULT_KINDS,
    DEFAULT_SCOPES,
    EDITIONS,
    FAULT_KINDS,
    MAX_BODY_BYTES,
    TOKEN_FAULT_KINDS,
    EmulatorConfig,
)
from zoho_crm_emulator.org import Org
from zoho_crm_emulator.org_generated import generated_org
from zoho_crm_emulator.org_sample import sample_org
from zoho_crm_emulator.server import EmulatorServer, serve

PROG = "zoho-crm-emulator"
GENERATED_DEFAULTS = {"territories": 50, "users": 200, "groups": 10, "seed": 1}
EPILOG = f"""\
examples:
  {PROG}                  # the sample org on http://127.0.0.1:8642
  {PROG} --port 0 --users 5000 --territories 500 --seed 7
  {PROG} --latency-ms 100 --max-concurrency 10 --fault-rate 0.1 --faults 500,429,truncate

The first line on stdout is the base URL (accounts server and API domain alike). It serves
until SIGTERM or SIGINT. Settings can be changed while it runs: POST /__emulator/config.
Every option, endpoint, fault and inspection endpoint: docs/emulator.md.
"""

#: Option -> setting, for the options passed to :class:`EmulatorConfig` as they are.
SETTINGS = {
    "scopes": "scopes",
    "token_ttl": "token_ttl",
    "disable_territories": "disable_territories",
    "latency_ms": "latency_ms",
    "max_concurrency": "max_concurrency",
    "credits": "credits",
    "fault_rate": "fault_rate",
    "faults": "faults",
    "fault_seed": "fault_seed",
    "token_fault_rate": "token_fault_rate",
    "token_faults": "token_faults",
    "slow_drip_seconds": "slow_drip_seconds",
    "slow_drip_bytes": "slow_drip_bytes",
    "redirect_to": "redirect_to",
    "max_body_bytes": "max_body_bytes",
    "idle_timeout": "idle_timeout_s",
    "refresh_limit": "refresh_limit",
    "refresh_window": "refresh_window",
    "api_version_list": "api_versions",
    "territories_max_per_page": "territories_max_per_page",
    "child_territories": "child_territories",
    "edition": "edition",
    "mixed_status": "mixed_status",
    "max_users_per_territory": "max_users_per_territory",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "refresh_token": "refresh_tokens",
}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: message`` and a pointer to ``--help``; exit 2."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _at_least(low: int, kind: Callable[[str], Any] = int) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value >= low:
            raise argparse.ArgumentTypeError(f"{text!r} is below {low}")
        return value

    convert.__name__ = kind.__name__
    return convert


def _port(text: str) -> int:
    value = _at_least(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(value)


def _rate(text: str) -> float:
    value = _at_least(0, float)(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability from 0 to 1")
    return float(value)


def _option(
    flag: str, kind: Callable[[str], Any] | None, default: Any, metavar: str | None, text: str
) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"default": default, "help": text}
    if kind is not None:
        spec["type"] = kind
    if metavar is not None:
        spec["metavar"] = metavar
    return flag, spec


GROUPS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "server": [
        _option("--host", None, "127.0.0.1", None, "address to bind (127.0.0.1)"),
        _option("--port", _port, 8642, None, "port to bind; 0 picks a free one (8642)"),
        _option(
            "--idle-timeout",
            _at_least(0, float),
            30.0,
            "SECONDS",
            "a request (line, headers, body) must arrive within this, and an idle "
            "connection is closed after it (30)",
        ),
        _option(
            "--max-body-bytes",
            _at_least(1),
            MAX_BODY_BYTES,
            "N",
            "larger request bodies get 400 INVALID_DATA (8388608, 8 MB)",
        ),
        ("--log-requests", {"action": "store_true", "help": "log each request on stderr (off)"}),
    ],
    "the organisation": [
        (
            "--org",
            {
                "choices": ["sample", "generated"],
                "help": "sample (the default): the seed documents' org; generated: built from "
                "a seed, sized by the options below (passing any of them selects it)",
            },
        ),
        _option("--territories", _at_least(1), None, "N", "territories, the root included (50)"),
        _option("--users", _at_least(1), None, "N", "users, of every status (200)"),
        _option("--groups", _at_least(0), None, "N", "user groups (10)"),
        _option("--seed", int, None, "S", "random seed: same seed, same org (1)"),
    ],
    "OAuth": [
        _option(
            "--scopes",
            None,
            ",".join(DEFAULT_SCOPES),
            "LIST",
            f"scopes granted to new access tokens, comma or space separated "
            f"({','.join(DEFAULT_SCOPES)})",
        ),
        _option(
            "--token-ttl",
            _at_least(0, float),
            3600,
            "SECONDS",
            "access-token lifetime, the token answer's expires_in (3600)",
        ),
        _option(
            "--refresh-limit",
            _at_least(0),
            10,
            "N",
            "token refreshes allowed per refresh token within the window (10)",
        ),
        _option(
            "--refresh-window",
            _at_least(0, float),
            600,
            "SECONDS",
            "the refresh-throttle window (600)",
        ),
        _option("--client-id", None, None, None, "accepted client id (the sample one)"),
        _option("--client-secret", None, None, None, "accepted client secret (the sample one)"),
        (
            "--refresh-token",
            {
                "action": "append",
                "metavar": "TOKEN",
                "help": "accepted refresh token, repeatable (the sample one)",
            },
        ),
    ],
    "limits": [
        _option(
            "--latency-ms",
            _at_least(0, float),
            0,
            "MS",
            "added to every API answer, errors included (0)",
        ),
        _option(
            "--max-concurrency",
            _at_least(0),
            0,
            "N",
            "API requests in flight beyond N get 429 TOO_MANY_REQUESTS; 0: unlimited (0)",
        ),
        _option(
            "--credits",
            _at_least(0),
            0,
            "N",
            "API credits, 1 per request, then 429; 0: unlimited (0)",
        ),
        _option(
            "--max-users-per-territory",
            _at_least(0),
            0,
            "N",
            "E6/E11 items beyond it get LIMIT_EXCEEDED; 0: unlimited (0)",
        ),
    ],
    "faults (docs/emulator.md#faults: the bytes each one sends)": [
        _option(
            "--fault-rate", _rate, 0.0, "R", "probability that an API request gets a fault (0)"
        ),
        _option(
            "--faults",
            None,
            ",".join(FAULT_KINDS),
            "LIST",
            f"API fault kinds drawn from: {', '.join(API_FAULT_KINDS)} ({','.join(FAULT_KINDS)})",
        ),
        _option("--fault-seed", int, 0, "S", "seed of the fault generators (0)"),
        _option(
            "--token-fault-rate",
            _rate,
            0.0,
            "R",
            "probability that a POST /oauth/v2/token gets a fault (0)",
        ),
        _option(
            "--token-faults",
            None,
            ",".join(TOKEN_FAULT_KINDS),
            "LIST",
            f"token fault kinds drawn from: {', '.join(TOKEN_FAULT_KINDS)} (all)",
        ),
        _option(
            "--slow-drip-seconds",
            _at_least(0, float),
            1.0,
            "S",
            "slow fault: pause between drips (1)",
        ),
        _option("--slow-drip-bytes", _at_least(1), 4, "N", "slow fault: bytes per drip (4)"),
        _option(
            "--redirect-to",
            None,
            "",
            "URL",
            "redirect fault: where Location points (a local port where nothing listens)",
        ),
    ],
    "the organisation's edition": [
        (
            "--edition",
            {
                "choices": list(EDITIONS),
                "default": "enterprise",
                "help": "what GET /org's license_details say (enterprise); it sets no limit: "
                "pass --max-concurrency and --credits for those",
            },
        ),
    ],
    "behaviour where Zoho's docs are uncertain": [
        (
            "--disable-territories",
            {
                "action": "store_true",
                "help": "territory management off: territory endpoints answer 403 "
                "FEATURE_NOT_ENABLED",
            },
        ),
        _option(
            "--api-version-list", None, "v7,v8", "LIST", "API versions served under /crm/ (v7,v8)"
        ),
        _option(
            "--territories-max-per-page", _at_least(1), 2000, "N", "E1's page-size maximum (2000)"
        ),
        (
            "--child-territories",
            {
                "choices": ["direct", "all"],
                "default": "direct",
                "help": "E3 returns direct children or every descendant (direct)",
            },
        ),
        (
            "--mixed-status",
            {
                "type": int,
                "choices": [200, 207],
                "default": 207,
                "help": "HTTP status of a write whose items partly failed (207)",
            },
        ),
    ],
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (every option is documented in docs/emulator.md)."""
    p = Parser(
        prog=PROG,
        description="A faithful local Zoho CRM: OAuth, territories, users, user groups.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for title, options in GROUPS.items():
        group = p.add_argument_group(title)
        for flag, spec in options:
            group.add_argument(flag, **spec)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def make_config(args: argparse.Namespace) -> EmulatorConfig:
    """The live settings from the parsed arguments (``ValueError`` naming a bad option)."""
    config = EmulatorConfig()
    for option, setting in SETTINGS.items():
        value = getattr(args, option)
        if value is None:
            continue
        try:
            config.update({setting: value})
        except ValueError as exc:
            reason = str(exc).removeprefix(f"{setting}: ")
            flag = "--" + option.replace("_", "-")
            raise ValueError(f"argument {flag}: {reason}") from None
    return config


def org_factory(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Callable[[], Org]:
    """A function building the org the arguments ask for."""
    sizes = {name: getattr(args, name) for name in GENERATED_DEFAULTS}
    generated = args.org == "generated" or any(value is not None for value in sizes.values())
    if args.org == "sample" and generated:
        parser.error("--org sample takes no --territories/--users/--groups/--seed")
    if not generated:
        return sample_org
    values = {
        name: GENERATED_DEFAULTS[name] if value is None else value for name, value in sizes.items()
    }
    return lambda: generated_org(
        values["territories"], values["users"], values["groups"], values["seed"]
    )


def bind(
    args: argparse.Namespace, parser: argparse.ArgumentParser, **kwargs: Any
) -> EmulatorServer:
    """The server bound to ``--host``/``--port``, or a one-line error (exit 2)."""
    try:
        return EmulatorServer((args.host, args.port), **kwargs)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            parser.exit(2, f"{PROG}: port {args.port} is in use; pass --port 0 or another port\n")
        reason = exc.strerror or str(exc)
        parser.exit(2, f"{PROG}: cannot listen on {args.host}:{args.port}: {reason}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGTERM/SIGINT; exit 0."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = make_config(args)
    except ValueError as exc:
        parser.error(str(exc))
    factory = org_factory(args, parser)
    server = bind(
        args,
        parser,
        org=factory(),
        config=config,
        org_factory=factory,
        log_requests=args.log_requests,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    serve(server, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
