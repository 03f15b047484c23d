"""``zoho-crm-emulator``: the command line.  Prints the base URL first, then serves."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from zoho_crm_emulator.config import (
    DEFAULT_SCOPES,
    FAULT_KINDS,
    MAX_BODY_BYTES,
    TOKEN_FAULT_KINDS,
    EmulatorConfig,
)
from zoho_crm_emulator.org import Org, generated_org, sample_org
from zoho_crm_emulator.server import EmulatorServer, serve

GENERATED_DEFAULTS = {"territories": 50, "users": 200, "groups": 10, "seed": 1}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (every option is documented in docs/emulator.md)."""
    p = argparse.ArgumentParser(
        prog="zoho-crm-emulator",
        description="A faithful local Zoho CRM (territories, users, user groups, OAuth).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8642, help="0 picks a free port")
    p.add_argument(
        "--org",
        choices=["sample", "generated"],
        help="sample (default): the seed samples' org; generated: see --territories etc.",
    )
    p.add_argument("--territories", type=int, help="generated org: number of territories (50)")
    p.add_argument("--users", type=int, help="generated org: number of users (200)")
    p.add_argument("--groups", type=int, help="generated org: number of user groups (10)")
    p.add_argument("--seed", type=int, help="generated org: random seed (1)")
    p.add_argument("--scopes", default=",".join(DEFAULT_SCOPES), help="granted scopes")
    p.add_argument("--token-ttl", type=float, default=3600, help="access-token lifetime (s)")
    p.add_argument("--disable-territories", action="store_true")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--max-concurrency", type=int, default=0, help="0: unlimited")
    p.add_argument("--credits", type=int, default=0, help="0: unlimited")
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--faults", default=",".join(FAULT_KINDS))
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--token-fault-rate", type=float, default=0.0)
    p.add_argument("--token-faults", default=",".join(TOKEN_FAULT_KINDS))
    p.add_argument("--slow-drip-seconds", type=float, default=1.0)
    p.add_argument("--slow-drip-bytes", type=int, default=4)
    p.add_argument("--redirect-to", default="")
    p.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES)
    p.add_argument("--idle-timeout", type=float, default=30.0)
    p.add_argument("--refresh-limit", type=int, default=10)
    p.add_argument("--refresh-window", type=float, default=600)
    p.add_argument("--api-version-list", default="v7,v8")
    p.add_argument("--territories-max-per-page", type=int, default=2000)
    p.add_argument("--child-territories", choices=["direct", "all"], default="direct")
    p.add_argument("--mixed-status", type=int, choices=[200, 207], default=207)
    p.add_argument("--max-users-per-territory", type=int, default=0, help="0: unlimited")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--refresh-token", action="append", help="accepted refresh token (repeatable)")
    p.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    return p


def make_config(args: argparse.Namespace) -> EmulatorConfig:
    """The live settings from the parsed arguments."""
    config = EmulatorConfig()
    changes: dict[str, Any] = {
        "scopes": args.scopes,
        "token_ttl": args.token_ttl,
        "disable_territories": args.disable_territories,
        "latency_ms": args.latency_ms,
        "max_concurrency": args.max_concurrency,
        "credits": args.credits,
        "fault_rate": args.fault_rate,
        "faults": args.faults,
        "fault_seed": args.fault_seed,
        "token_fault_rate": args.token_fault_rate,
        "token_faults": args.token_faults,
        "slow_drip_seconds": args.slow_drip_seconds,
        "slow_drip_bytes": args.slow_drip_bytes,
        "redirect_to": args.redirect_to,
        "max_body_bytes": args.max_body_bytes,
        "idle_timeout_s": args.idle_timeout,
        "refresh_limit": args.refresh_limit,
        "refresh_window": args.refresh_window,
        "api_versions": args.api_version_list,
        "territories_max_per_page": args.territories_max_per_page,
        "child_territories": args.child_territories,
        "mixed_status": args.mixed_status,
        "max_users_per_territory": args.max_users_per_territory,
    }
    if args.client_id:
        changes["client_id"] = args.client_id
    if args.client_secret:
        changes["client_secret"] = args.client_secret
    if args.refresh_token:
        changes["refresh_tokens"] = args.refresh_token
    config.update(changes)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGTERM/SIGINT; exit 0."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = make_config(args)
    except ValueError as exc:
        parser.error(str(exc))
    factory = org_factory(args, parser)
    org = factory()
    server = EmulatorServer(
        (args.host, args.port), org, config, factory, log_requests=args.log_requests
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
