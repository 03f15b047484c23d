"""The command line: one-line errors with exit code 2, and a --help that explains every option."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from zoho_crm_emulator.__main__ import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "zoho_crm_emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("zoho-crm-emulator: ")
    return lines[0]


def test_a_busy_port_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line_error(run("--port", str(port)))
    assert line == f"zoho-crm-emulator: port {port} is in use; pass --port 0 or another port"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--port", "abc"), "argument --port: 'abc' is not a number"),
        (("--port", "70000"), "argument --port: '70000' is not a port (0-65535)"),
        (("--fault-rate", "3"), "argument --fault-rate: '3' is not a probability from 0 to 1"),
        (("--faults", "explode"), "argument --faults: unknown fault kinds ['explode']"),
        (("--token-faults", "500"), "argument --token-faults: unknown fault kinds ['500']"),
        (("--users", "-1"), "argument --users: '-1' is below 1"),
        (("--latency-ms", "-5"), "argument --latency-ms: '-5' is below 0"),
        (("--slow-drip-bytes", "0"), "argument --slow-drip-bytes: '0' is below 1"),
        (("--redirect-to", "ftp://x"), "argument --redirect-to: must be an http(s)://"),
        (("--mixed-status", "201"), "argument --mixed-status: invalid choice: 201"),
        (("--org", "sample", "--users", "5"), "--org sample takes no --territories"),
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("--host", "256.1.1.1", "--port", "0"), "cannot listen on 256.1.1.1:0"),
    ],
)
def test_bad_options_are_one_line_naming_the_option(capsys, args, says):
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    line = one_line_error(subprocess.CompletedProcess(args, stopped.value.code, out, err))
    assert says in line


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    proc = subprocess.CompletedProcess([], 0, *capsys.readouterr())
    parser = build_parser()
    for action in parser._actions:  # argparse's own list of the options
        assert action.help, f"{action.option_strings} has no help"
        for flag in action.option_strings:
            assert flag in proc.stdout
    assert "examples:" in proc.stdout
    assert "zoho-crm-emulator --port 0 --users 5000" in proc.stdout
    assert "docs/emulator.md" in proc.stdout
    assert "SIGTERM" in proc.stdout
