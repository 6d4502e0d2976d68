"""`goalpulse run`: a bad setting stops it with one clear line and exit 2; good ones start it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "GOALPULSE_METRICS": str(SUPPORT / "metrics.yml"),
}


def goalpulse_run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in GOOD.items() if k != name}


BAD_SETTINGS = [
    ("missing-signing-secret", without("SLACK_SIGNING_SECRET"), "SLACK_SIGNING_SECRET is not set"),
    ("missing-bot-token", without("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN is not set"),
    (
        "empty-signing-secret",
        {**GOOD, "SLACK_SIGNING_SECRET": ""},
        "SLACK_SIGNING_SECRET is invalid",
    ),
    ("malformed-database-url", {**GOOD, "DATABASE_URL": "not a url"}, "DATABASE_URL is invalid"),
    (
        "unsupported-database-driver",
        {**GOOD, "DATABASE_URL": "mysql://root@localhost/db"},
        "driver 'mysql' is not supported",
    ),
    (
        "unreachable-database",
        {**GOOD, "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
        "cannot open the database",
    ),
    ("bad-port", {**GOOD, "PORT": "http"}, "PORT is invalid"),
    (
        "bad-timezone",
        {**GOOD, "GOALPULSE_TIMEZONE": "Mars/Olympus"},
        "GOALPULSE_TIMEZONE is invalid",
    ),
    ("app-token-shape", {**GOOD, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN is invalid"),
    (
        "missing-metrics-file",
        {**GOOD, "GOALPULSE_METRICS": "nowhere.yml"},
        "metrics file not found",
    ),
    ("invalid-metrics-file", {**GOOD, "GOALPULSE_METRICS": "bad.yml"}, "metric 'dau': unit"),
    ("metrics-not-yaml", {**GOOD, "GOALPULSE_METRICS": "broken.yml"}, "not valid YAML"),
]


@pytest.mark.parametrize(
    ("env", "expected"), [c[1:] for c in BAD_SETTINGS], ids=[c[0] for c in BAD_SETTINGS]
)
def test_bad_setting_stops_startup_with_one_line(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    """A missing or malformed setting exits 2 with one line naming it, and no traceback."""
    (tmp_path / "bad.yml").write_text(
        "metrics:\n  dau:\n    unit: parsecs\n    source: {kind: manual}\n"
    )
    (tmp_path / "broken.yml").write_text("metrics: [unclosed\n")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gp.db'}", **env}
    result = goalpulse_run(env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("goalpulse: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_serves_health_check_and_stops_on_sigterm(tmp_path: Path) -> None:
    """With good settings the server answers /healthz, and SIGTERM stops it cleanly."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        **GOOD,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gp.db'}",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the bot did not answer /healthz in 30 s"
                time.sleep(0.1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert (tmp_path / "gp.db").exists()
