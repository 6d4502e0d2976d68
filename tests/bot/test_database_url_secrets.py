"""A wrong DATABASE_URL stops `goalpulse migrate` and `run` with one line that keeps its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main

SUPPORT = Path(__file__).resolve().parents[1] / "support"

# (DATABASE_URL, what the line says, text that must not appear in it)
BAD_URLS = [
    pytest.param(
        "postgresql+asyncpg://u:s3cret@host:notaport/db",
        "DATABASE_URL is invalid: not a database URL",
        ("s3cret",),
        id="port-not-a-number",
    ),
    pytest.param(
        "postgres://u:s3cret@h/db",
        "driver 'postgres' is not supported",
        ("s3cret",),
        id="wrong-driver",
    ),
    pytest.param(
        "u:s3cret@h/db",
        "DATABASE_URL is invalid: not a database URL",
        ("s3cret",),
        id="no-scheme",
    ),
    pytest.param(
        "host=db user=u password=s3cret",
        "DATABASE_URL is invalid: not a database URL",
        ("s3cret",),
        id="libpq-keywords",
    ),
    pytest.param(
        "s3cret://u@h/db",
        "its driver is not supported",
        ("s3cret",),
        id="secret-where-the-driver-goes",
    ),
    pytest.param(
        "postgresql+asyncpg://u:s3cret@part2@127.0.0.1:1/db",
        "the password must be percent-encoded",
        ("s3cret", "part2"),
        id="password-with-a-raw-at-sign",
    ),
    pytest.param(
        "postgresql+asyncpg://u:s3cret@127.0.0.1:99999/db",
        "the port must be a number from 1 to 65535",
        ("s3cret",),
        id="port-out-of-range",
    ),
    pytest.param(
        "sqlite+aiosqlite://u:s3cret@h/db",
        "a SQLite URL names a file",
        ("s3cret",),
        id="sqlite-with-a-server",
    ),
    pytest.param(
        "postgresql+asyncpg://u@127.0.0.1:1/db?password=s3cret",
        "cannot open the database",
        ("s3cret",),
        id="password-as-an-option",
    ),
]


@pytest.mark.parametrize("command", ["migrate", "run"])
@pytest.mark.parametrize(("url", "expected", "secrets"), BAD_URLS)
def test_a_bad_database_url_is_one_line_without_its_secrets(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    command: str,
    url: str,
    expected: str,
    secrets: tuple[str, ...],
) -> None:
    """Exit 2, one `goalpulse: …` line naming the fault, and no part of the password anywhere."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("GOALPULSE_METRICS", str(SUPPORT / "metrics.yml"))
    assert main([command]) == EXIT_CONFIG
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("goalpulse: ")
    assert expected in lines[0]
    for secret in secrets:
        assert secret not in out + err + caplog.text
