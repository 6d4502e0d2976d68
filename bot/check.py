"""`goalpulse check`: settings, metrics.yml, database, Slack token and every source, read-only.

Customer datasets are checked in check_datasets.py; the table is check_table.py's."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import sys
from collections.abc import Awaitable, Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.check_datasets import check_datasets, dataset_metric_lines
from bot.check_table import FAIL, OK, SKIP, Line, format_table, how_old, plural
from bot.constants import BOT_SCOPES
from bot.settings import DatabaseSettings, EngineSettings, Settings, load_settings
from bot.slack_client import build_client, slack_session
from jobs.metrics.catalog import Metric, MetricCatalog, load_catalog
from jobs.metrics.pull import HISTORY_DAYS
from jobs.metrics.sources import SourceError, SourceFetcher
from storage import migrate
from storage.db import redacted

NETWORK_TIMEOUT = 10  # seconds for one connection or request
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_SECRET",
)
_URL_PASSWORD = re.compile(r"(://[^\s/:@]*:)[^\s@]+@")
S = TypeVar("S", bound=DatabaseSettings)


async def check_command(_args: argparse.Namespace) -> int:
    """Run every check, print the table; exit 1 when any check failed."""
    lines = await run_checks(os.environ)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    print(format_table(lines))
    return 1 if any(line.status == FAIL for line in lines) else 0


async def run_checks(env: Mapping[str, str]) -> list[Line]:
    """Every check in order; a failure only skips the checks that need what failed."""
    settings, engine_settings, database_settings, lines = _settings()
    try:
        catalog, line = _catalog(engine_settings)
    except Exception as exc:  # a ConfigError, or a path no file can have
        catalog, line = None, Line("metrics.yml", FAIL, _reason(exc))
    lines.append(line)
    lines += await _safely("database", _database(database_settings))
    async with slack_session() as http:
        lines += await _safely("Slack", _slack(settings, http))
        lines += await _safely("metrics", _sources(catalog, engine_settings, env, http))
    secrets = _secrets(env, settings, database_settings)
    return [Line(line.check, line.status, scrub(line.detail, secrets)) for line in lines]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` without any of `secrets` nor a password written in a URL."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _URL_PASSWORD.sub(r"\1***@", text)


async def _safely(check: str, work: Awaitable[Line | list[Line]]) -> list[Line]:
    """The check's lines; a surprise becomes one FAIL line instead of a crash."""
    try:
        done = await work
    except Exception as exc:
        return [Line(check, FAIL, f"unexpected error ({type(exc).__name__}: {_reason(exc)})")]
    return done if isinstance(done, list) else [done]


def _settings() -> tuple[
    Settings | None, EngineSettings | None, DatabaseSettings | None, list[Line]
]:
    problems: list[str] = []
    settings = _try_load(Settings, problems)
    engine = settings or _try_load(EngineSettings, problems)
    database = engine or _try_load(DatabaseSettings, problems)
    if settings is None:
        # Each narrower kind names the first setting it lacks, so more than one may be named.
        detail = "; ".join(dict.fromkeys(problems))
        return None, engine, database, [Line("settings", FAIL, detail)]
    mode = "Socket Mode" if settings.slack_app_token else f"HTTP on port {settings.port}"
    detail = f"{mode}, timezone {settings.goalpulse_timezone}"
    return settings, settings, settings, [Line("settings", OK, detail)]


def _try_load(kind: type[S], problems: list[str]) -> S | None:
    try:
        return load_settings(kind)
    except Exception as exc:  # a ConfigError, or a .env that cannot even be read
        problems.append(_reason(exc))
        return None


def _catalog(settings: EngineSettings | None) -> tuple[MetricCatalog | None, Line]:
    if settings is None:
        return None, Line("metrics.yml", SKIP, "needs valid settings")
    catalog = load_catalog(settings.goalpulse_metrics)
    kinds = [_kind(metric) for metric in catalog]
    counts = ", ".join(
        f"{kinds.count(k)} {k}" for k in ("sourced", "dataset", "manual", "formula") if k in kinds
    )
    detail = f"{catalog.path}: {plural(len(catalog), 'metric')} ({counts})"
    return catalog, Line("metrics.yml", OK, detail)


async def _database(settings: DatabaseSettings | None) -> Line:
    if settings is None:
        return Line("database", SKIP, "needs a valid DATABASE_URL")
    url = make_url(settings.database_url)
    shown = redacted(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if not path or path.startswith(":memory"):  # SQLite's in-memory database
            return Line("database", OK, f"{shown}: in memory, created afresh at each start")
        if not await asyncio.to_thread(Path(path).is_file):
            behind = _behind(migrate.pending_revisions(None) or [])
            return Line("database", FAIL, f"{shown}: no database file yet, {behind}")
        engine = _read_only_sqlite(path)
    else:
        engine = create_async_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "timeout": NETWORK_TIMEOUT,
                "server_settings": {
                    "default_transaction_read_only": "on",
                    "application_name": "goalpulse-check",
                },
            },
        )
    try:
        async with asyncio.timeout(NETWORK_TIMEOUT * 2):
            status = await migrate.schema_status(engine)
    except TimeoutError:
        return Line("database", FAIL, f"{shown}: no answer within {NETWORK_TIMEOUT * 2} s")
    except (SQLAlchemyError, OSError) as exc:
        driver_error = (exc.orig if isinstance(exc, DBAPIError) else None) or exc
        return Line(
            "database", FAIL, f"{shown}: cannot open the database ({_reason(driver_error)})"
        )
    finally:
        await engine.dispose()
    if status.pending == []:
        return Line("database", OK, f"{shown}: at {status.current}, newest")
    if status.pending is None:
        detail = (
            f"at {status.current}, which this goalpulse does not know (newest is {status.head})"
        )
        return Line("database", FAIL, f"{shown}: {detail}")
    where = "empty" if status.current is None else f"at {status.current}"
    return Line("database", FAIL, f"{shown}: {where}, {_behind(status.pending)}")


def _read_only_sqlite(path: str) -> AsyncEngine:
    # mode=ro: nothing is written, and a missing file is never created.
    url = URL.create(
        "sqlite+aiosqlite",
        database=f"file:{quote(path, safe='/')}",
        query={"mode": "ro", "uri": "true"},
    )
    return create_async_engine(url, poolclass=NullPool)


async def _slack(settings: Settings | None, http: aiohttp.ClientSession) -> list[Line]:
    if settings is None:
        return [
            Line("Slack", SKIP, "needs valid settings"),
            Line("Slack scopes", SKIP, "needs Slack"),
        ]
    if settings.oauth:  # each workspace's token comes from its installation (bot/oauth/)
        return [
            Line("Slack", SKIP, "OAuth: tokens come from each workspace's installation"),
            Line("Slack scopes", SKIP, "needs one token"),
        ]
    client = build_client(settings.slack_bot_token, api_url=settings.slack_api_url, session=http)
    where = client.base_url
    try:
        async with asyncio.timeout(NETWORK_TIMEOUT * 3):  # the client retries a dropped link
            response = await client.auth_test()
    except SlackApiError as exc:
        data, code = exc.response.data, exc.response.status_code
        error = data.get("error") if isinstance(data, dict) else None
        detail = (
            f"SLACK_BOT_TOKEN was refused: Slack answered {error}"
            if code == 200
            else f"{where} answered HTTP {code} ({error or 'not Slack'})"
        )
        return [Line("Slack", FAIL, detail), Line("Slack scopes", SKIP, "needs Slack")]
    except TimeoutError:
        detail = f"{where} did not answer within {NETWORK_TIMEOUT * 3} s"
        return [Line("Slack", FAIL, detail), Line("Slack scopes", SKIP, "needs Slack")]
    except (aiohttp.ClientError, OSError) as exc:
        detail = f"cannot reach Slack at {where} ({_reason(exc)})"
        return [Line("Slack", FAIL, detail), Line("Slack scopes", SKIP, "needs Slack")]
    data = response.data if isinstance(response.data, dict) else {}
    who = (
        f"team {data.get('team')} ({data.get('team_id')}),"
        f" bot user @{data.get('user')} ({data.get('user_id')})"
    )
    return [Line("Slack", OK, who), _scopes(response.headers)]


def _scopes(headers: Mapping[str, str]) -> Line:
    found = [value for key, value in headers.items() if key.lower() == "x-oauth-scopes"]
    if not found:
        return Line("Slack scopes", FAIL, "Slack did not list the token's scopes (x-oauth-scopes)")
    granted = {scope.strip() for scope in found[0].split(",")}
    missing = sorted(BOT_SCOPES - granted)
    if missing:
        detail = (
            f"missing {', '.join(missing)}: add to the app's bot token scopes"
            " (manifest.yml), reinstall it and use the new token"
        )
        return Line("Slack scopes", FAIL, detail)
    return Line("Slack scopes", OK, f"all {len(BOT_SCOPES)} the app needs are granted")


async def _sources(
    catalog: MetricCatalog | None,
    settings: EngineSettings | None,
    env: Mapping[str, str],
    http: aiohttp.ClientSession,
) -> list[Line]:
    if catalog is None or settings is None:
        return [Line("metrics", SKIP, "needs a valid metrics.yml")]
    today = datetime.now(ZoneInfo(settings.goalpulse_timezone)).date()
    base_dir = catalog.path.parent if catalog.path else Path.cwd()
    fetcher = SourceFetcher(base_dir=base_dir, env=dict(env), http=http)
    sourced = [metric for metric in catalog if _kind(metric) == "sourced"]
    try:
        fetched = await asyncio.gather(*(_fetch(fetcher, m, today) for m in sourced))
        datasets = await check_datasets(
            catalog.datasets, fetcher, today, settings.goalpulse_timezone
        )
    finally:
        await fetcher.close()
    lines = {metric.key: line for metric, line in zip(sourced, fetched, strict=True)}
    lines |= dataset_metric_lines(catalog, datasets)

    def line_for(metric: Metric) -> Line:
        name = f"metric {metric.key}"
        if metric.key in lines:
            return lines[metric.key]
        if metric.formula is None:
            lines[metric.key] = Line(name, OK, "manual: values come from /goal checkin")
            return lines[metric.key]
        inputs = sorted(metric.formula_inputs())
        broken = [k for k in inputs if (d := catalog.get(k)) and line_for(d).status != OK]
        detail = f"formula, computed from {', '.join(inputs)}"
        if broken:
            lines[metric.key] = Line(name, SKIP, f"{detail} ({', '.join(broken)} failed)")
        else:
            lines[metric.key] = Line(name, OK, detail)
        return lines[metric.key]

    return [*datasets.values(), *(line_for(metric) for metric in catalog)]


async def _fetch(fetcher: SourceFetcher, metric: Metric, today: date) -> Line:
    name = f"metric {metric.key}"
    since = today - timedelta(days=HISTORY_DAYS)
    try:
        frame = await fetcher.fetch(metric, since=since)
    except SourceError as exc:
        return Line(name, FAIL, exc.message.removeprefix(f"{metric.key}: "))
    except Exception as exc:  # one broken source never stops the others
        return Line(name, FAIL, f"unexpected error ({type(exc).__name__})")
    if frame.empty:
        return Line(name, FAIL, f"no rows since {since.isoformat()} ({HISTORY_DAYS} days ago)")
    latest: date = frame["day"].iloc[-1]
    old = how_old(today, latest)
    return Line(name, OK, f"{plural(len(frame), 'row')}, latest {latest.isoformat()} ({old})")


def _secrets(
    env: Mapping[str, str], settings: Settings | None, database: DatabaseSettings | None
) -> set[str]:
    found = {value for key, value in env.items() if key.upper() in SECRET_SETTINGS}
    if settings is not None:
        found |= {settings.slack_bot_token or "", settings.slack_signing_secret}
        found |= {settings.slack_client_secret or ""}
        found |= {settings.slack_app_token or ""}
    for url in (env.get("DATABASE_URL"), database.database_url if database else None):
        try:
            password = make_url(url).password if url else None
        except Exception:  # noqa: S112 - an unparsable URL has no password to hide
            continue
        found |= {str(password or "")}
    return {secret for secret in found if len(secret) >= 4}


def _reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _kind(metric: Metric) -> str:
    if metric.formula is not None:
        return "formula"
    if metric.measure is not None:
        return "dataset"
    return "manual" if metric.source is None or metric.source.kind == "manual" else "sourced"


def _behind(pending: list[str]) -> str:
    return f"{plural(len(pending), 'migration')} behind: run goalpulse migrate"
