"""`goalpulse check`: a readable table, exit 1 on any failure, nothing changed, no secret shown."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from alembic import command
from sqlalchemy.engine import Connection, make_url

from bot.cli import main
from bot.constants import BOT_SCOPES
from storage import migrate
from storage.db import Database
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.fake_slack import FakeSlack

DB_PASSWORD = "dbs3cretpw"  # PostgreSQL here trusts every login, so any password connects
UNREACHABLE = "postgresql+asyncpg://postgres:s3cretpw@127.0.0.1:1/x"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, DB_PASSWORD, "s3cretpw")
DAYS = 31
BEHIND_0002 = len(migrate.pending_revisions("0002") or [])

GOOD_METRICS = """\
metrics:
  signups:
    source: {kind: csv, path: signups.csv}
  orders:
    source:
      kind: sql
      url: sqlite:///warehouse.db
      query: select day, value from orders where day >= :since order by day
  visits:
    source: {kind: http, url: "%(data)s/visits", timeout_seconds: 5}
  nps:
    source: {kind: manual}
  conversion:
    unit: ratio
    formula: orders / visits
"""
BROKEN_METRICS = """\
  refunds:
    source: {kind: csv, path: nowhere/refunds.csv}
  churn:
    source:
      kind: sql
      url: sqlite:///warehouse.db
      query: select day, value from missing_table where day >= :since
  uptime:
    source: {kind: http, url: "%(data)s/uptime?key=k3y", timeout_seconds: 5}
  refund_rate:
    formula: refunds / orders
"""


@dataclass(frozen=True)
class Case:
    """What to break, and the lines (check → status and a part of the detail) expected."""

    database: str = "migrated"  # migrated | unmigrated | partly | unreachable
    broken_sources: bool = False
    scopes: frozenset[str] = BOT_SCOPES
    expected: dict[str, tuple[str, str]] = field(default_factory=dict)


CASES = [
    pytest.param(Case(), id="all-good"),
    pytest.param(
        Case(
            scopes=BOT_SCOPES - {"files:write", "im:write"},
            expected={"Slack scopes": ("FAIL", "missing files:write, im:write")},
        ),
        id="token-missing-scopes",
    ),
    pytest.param(
        Case(
            database="unreachable",
            expected={"database": ("FAIL", "postgres:***@127.0.0.1:1/x: cannot open the database")},
        ),
        id="unreachable-database",
    ),
    pytest.param(
        Case(
            broken_sources=True,
            expected={
                "metric refunds": ("FAIL", "CSV file nowhere/refunds.csv not found"),
                "metric churn": ("FAIL", "no such table: missing_table"),
                "metric uptime": ("FAIL", "/uptime answered HTTP 500 Internal Server Error"),
                "metric refund_rate": ("SKIP", "computed from orders, refunds (refunds failed)"),
            },
        ),
        id="broken-sources",
    ),
    pytest.param(
        Case(
            database="unmigrated",
            expected={"database": ("FAIL", "migrations behind: run goalpulse migrate")},
        ),
        id="unmigrated-database",
    ),
    pytest.param(
        Case(
            database="partly",
            expected={
                "database": (
                    "FAIL",
                    f"at 0002, {BEHIND_0002} migrations behind: run goalpulse migrate",
                )
            },
        ),
        id="partly-migrated-database",
    ),
]


@pytest.fixture
async def data_server() -> AsyncIterator[str]:
    """An HTTP metric endpoint: /visits answers records, /uptime answers 500."""
    today = datetime.now(UTC).date()

    async def visits(_request: web.Request) -> web.Response:
        days = [today - timedelta(days=n) for n in range(1, DAYS + 1)]
        return web.json_response([{"day": d.isoformat(), "value": 1000} for d in days])

    async def uptime(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/visits", visits)
    app.router.add_get("/uptime", uptime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def write_sources(folder: Path, data_url: str, *, broken: bool) -> Path:
    """metrics.yml with its CSV file and SQLite warehouse, each with DAYS days up to yesterday."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    days = [yesterday - timedelta(days=n) for n in reversed(range(DAYS))]
    rows = "".join(f"{d.isoformat()},{40 + n}\n" for n, d in enumerate(days))
    (folder / "signups.csv").write_text("day,value\n" + rows)
    with sqlite3.connect(folder / "warehouse.db") as warehouse:
        warehouse.execute("create table orders(day text, value real)")
        warehouse.executemany("insert into orders values (?, 12)", [(d.isoformat(),) for d in days])
    warehouse.close()
    text = GOOD_METRICS + (BROKEN_METRICS if broken else "")
    path = folder / "metrics.yml"
    path.write_text(text % {"data": data_url})
    return path


async def prepare_database(url: str, state: str) -> str:
    """Bring the database to `state`; returns the DATABASE_URL to check it with."""
    if state == "unreachable":
        return UNREACHABLE
    database = Database(url)
    try:
        if state == "migrated":
            await migrate.upgrade(database)
        elif state == "partly":

            def upgrade_to_0002(connection: Connection) -> None:
                config = migrate.alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "0002")

            async with database.engine.begin() as connection:
                await connection.run_sync(upgrade_to_0002)
    finally:
        await database.dispose()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(password=DB_PASSWORD)
    return parsed.render_as_string(hide_password=False)


async def revision_after(url: str) -> str | None:
    """The database's revision ("no file" for a missing SQLite file, which it does not create)."""
    parsed = make_url(url)
    sqlite_file = Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
    if sqlite_file is not None and not await asyncio.to_thread(sqlite_file.exists):
        return "no file"
    database = Database(url)
    try:
        return await migrate.current_revision(database)
    finally:
        await database.dispose()


def table(output: str) -> dict[str, tuple[str, str]]:
    """check → (status, detail), from the lines before the verdict."""
    rows = {}
    for line in output.split("\n\n")[0].splitlines():
        check, status, detail = re.split(r"\s{2,}", line, maxsplit=2)
        rows[check] = (status, detail)
    return rows


@pytest.mark.parametrize("case", CASES)
async def test_check_reports_every_part_on_its_own_line(
    case: Case,
    database_url: str,
    fake_slack: FakeSlack,
    data_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each check gets an OK/FAIL/SKIP line; a failure is named, the rest still run."""
    metrics = write_sources(tmp_path, data_server, broken=case.broken_sources)
    checked_url = await prepare_database(database_url, case.database)
    fake_slack.scopes = sorted(case.scopes)
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    for name in ("SLACK_APP_TOKEN", "PORT", "GOALPULSE_SLACK_POSTS_PER_SECOND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("DATABASE_URL", checked_url)
    monkeypatch.setenv("GOALPULSE_METRICS", str(metrics))
    monkeypatch.setenv("GOALPULSE_TIMEZONE", "UTC")

    status = await asyncio.to_thread(main, ["check"])

    out, err = capsys.readouterr()
    lines = table(out)
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    good = {
        "settings": ("OK", "HTTP on port 3000, timezone UTC"),
        "metrics.yml": ("OK", "metrics ("),
        "database": ("OK", ", newest"),
        "Slack": ("OK", "team Goalpulse Test (T0001), bot user @goalpulse (UBOT)"),
        "Slack scopes": ("OK", f"all {len(BOT_SCOPES)} the app needs are granted"),
        "metric signups": ("OK", f"{DAYS} rows, latest {yesterday} (1 day old)"),
        "metric orders": ("OK", f"{DAYS} rows, latest {yesterday} (1 day old)"),
        "metric visits": ("OK", f"{DAYS} rows, latest {yesterday} (1 day old)"),
        "metric nps": ("OK", "manual: values come from /goal checkin"),
        "metric conversion": ("OK", "formula, computed from orders, visits"),
    }
    expected = {**good, **case.expected}
    assert list(lines) == list(expected), out
    for check, (want_status, want_detail) in expected.items():
        assert lines[check][0] == want_status, f"{check}: {out}"
        assert want_detail in lines[check][1], f"{check}: {out}"
    assert status == (1 if case.expected else 0), out
    verdict = out.rstrip().splitlines()[-1]
    if case.expected:
        assert " failed" in verdict, out
    else:
        assert verdict == f"all {len(expected)} checks passed", out
    for secret in SECRETS:
        assert secret not in out + err
    assert "k3y" not in out
    if make_url(database_url).get_backend_name() == "postgresql" and case.database != "unreachable":
        assert f"postgres:***@{make_url(database_url).host}:" in lines["database"][1], out
    assert len(fake_slack.calls_to("auth.test")) == 1
    is_sqlite = make_url(database_url).get_backend_name() == "sqlite"
    if case.database == "unmigrated":
        assert await revision_after(database_url) == ("no file" if is_sqlite else None)
    if case.database == "partly":
        assert await revision_after(database_url) == "0002"


def test_check_with_malformed_settings_fails_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed DATABASE_URL and no token: a FAIL line, what needs them SKIPs, exit 1."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "GOALPULSE_METRICS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres ql://u:hunter22@db/x")

    status = main(["check"])

    out, err = capsys.readouterr()
    lines = table(out)
    assert status == 1, out
    assert lines["settings"][0] == "FAIL", out
    assert "DATABASE_URL is invalid" in lines["settings"][1], out
    assert {check: status for check, (status, _) in lines.items() if check != "settings"} == {
        "metrics.yml": "SKIP",
        "database": "SKIP",
        "Slack": "SKIP",
        "Slack scopes": "SKIP",
        "metrics": "SKIP",
    }, out
    assert "hunter22" not in out + err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []
