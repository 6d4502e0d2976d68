"""Run the soak's story once: two bot processes, one PostgreSQL, the fake Slack, a turned clock.

With `chaos`, Slack answers 5% of calls with 500, rate-limits in bursts and stalls past the
client's timeout; one bot is killed with SIGKILL and restarted, and PostgreSQL is restarted,
at moments drawn from the seed. Either way the run ends with the ledger of what Slack accepted.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlmodel import select

from storage import migrate
from storage.db import Database
from storage.models import Goal, OutboxMessage, RunClaim
from tests.soak import scenario
from tests.soak.bot_process import FileClock
from tests.support.conversation import reply_text
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

ROOT = Path(__file__).resolve().parents[2]
LOGS = Path("soak-logs")  # each run's bot logs, kept for reading afterwards
TOKEN, SECRET = "xoxb-soak-token", "soak-signing-secret"
STEP = timedelta(minutes=10)  # simulated time per step
STEP_SECONDS = 0.1  # real time between looks at the outbox
STEP_LIMIT = 20.0  # real seconds a step may wait for the bots (a stall is 12 s)
FLAKY = ("chat.postMessage", "chat.update", "conversations.open", "users.info")
EDITS = ("checklist_update", "parent_update", "dm_update")
_TAGS = itertools.count(1)
_ID = re.compile(r"^([a-z_]+):\d+")


@dataclass
class Ledger:
    """What Slack accepted, each post named by the run key that sent it."""

    posts: Counter[str] = field(default_factory=Counter)
    first_at: dict[str, datetime] = field(default_factory=dict)
    updates: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


class Bots:
    """Bot processes by name, started and stopped (or killed) like real deployments."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.urls: dict[str, str] = {}

    async def start(self, name: str) -> None:
        port_file = self.workdir / f"{name}.port"
        port_file.unlink(missing_ok=True)
        log = (self.workdir / f"{name}.log").open("a")
        self.procs[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.soak.bot_process",
            cwd=ROOT,
            env={**self.env, "SOAK_PORT_FILE": str(port_file)},
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.procs[name].returncode is not None or time.monotonic() > deadline:
                log_tail = (self.workdir / f"{name}.log").read_text()[-2000:]
                raise RuntimeError(f"bot {name} did not start:\n{log_tail}")
            await asyncio.sleep(0.05)
        self.urls[name] = f"http://127.0.0.1:{port_file.read_text().strip()}"

    async def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, whatever it was sending stays claimed until the lease lapses."""
        proc = self.procs.pop(name)
        self.urls.pop(name)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    async def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.urls.clear()


async def _new_database(admin_url: str) -> tuple[str, str]:
    name = f"goalpulse_soak_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", name


async def _drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def restart_postgres() -> None:
    """Restart the local PostgreSQL cluster (every connection drops)."""
    for version in sorted(Path("/etc/postgresql").iterdir()):
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", version.name, "main", "restart"],  # noqa: S607
            check=True,
            capture_output=True,
            timeout=60,
        )


async def command(
    slack: FakeSlack, bots: Bots, channel: str, user: str, text: str, expect: str
) -> None:
    """A /goal command to any live bot, repeated until its reply says `expect`."""
    for attempt in range(40):
        names = sorted(bots.urls)
        if names:
            url = bots.urls[names[attempt % len(names)]]
            async with SignedSlack(
                bot_url=url, signing_secret=SECRET, response_url=slack.response_url
            ) as signed:
                tag = f"soak-{next(_TAGS)}"  # unique: a reply is never taken for another's
                body, _ = signed.command_body(text, user=user, channel=channel, tag=tag)
                try:
                    await signed.post(body)
                except OSError:
                    tag = None
            deadline = time.monotonic() + 5
            while tag is not None and time.monotonic() < deadline:
                replies = [c for c in slack.calls_to("response_url") if c.tag == tag]
                if any(expect in reply_text(c.body) for c in replies):
                    return
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
    raise RuntimeError(f"no bot answered {text!r} with {expect!r}")


def chaos_plan(rng: random.Random) -> list[tuple[datetime, str]]:
    """(when, what) of the faults: kills, a database restart, 429 bursts and stalls."""
    first, last = scenario.START + timedelta(hours=2), scenario.end()
    span = int((last - first) / STEP)

    def moment() -> datetime:
        return first + STEP * rng.randrange(span)

    plan = [(moment(), "kill") for _ in range(2)]
    plan += [(moment(), "restart-postgres")]
    plan += [(moment(), "burst-429") for _ in range(3)]
    plan += [(moment(), "stall") for _ in range(3)]
    return sorted(plan)


async def run(*, chaos: bool, seed: int, admin_url: str) -> Ledger:
    """One run of the story; returns its ledger."""
    rng = random.Random(seed)
    ledger = Ledger()
    url, name = await _new_database(admin_url)
    database = Database(url)
    await migrate.upgrade(database)
    with tempfile.TemporaryDirectory(prefix="goalpulse-soak-") as folder:
        workdir = Path(folder)
        (workdir / "metrics.yml").write_text(scenario.METRICS_YML, encoding="utf-8")
        clock = FileClock(workdir / "clock")
        clock.write(scenario.START)
        async with FakeSlack(token=TOKEN) as slack:
            slack.clock = clock
            slack.add_user(scenario.OWNER, name="ana")
            slack.add_user(scenario.LEAD, name="li")
            slack.add_user(scenario.CEO, name="root", is_admin=True)
            slack.refuse(
                "chat.postMessage",
                "not_in_channel",
                matching=lambda body: body.get("channel") == scenario.BROKEN,
            )
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": url,
                "GOALPULSE_METRICS": str(workdir / "metrics.yml"),
                "GOALPULSE_TIMEZONE": "Europe/Berlin",
                "PORT": "0",
                "SOAK_CLOCK_FILE": str(workdir / "clock"),
                "SOAK_TICK_SECONDS": "0.1",
            }
            env.pop("SLACK_APP_TOKEN", None)
            bots = Bots(env, workdir)
            await bots.start("a")
            await bots.start("b")
            try:
                for channel, user, text, expect in scenario.setup_commands():
                    await command(slack, bots, channel, user, text, expect=expect)
                await _seed(database, clock())
                await _live(database, slack, bots, clock, rng, chaos=chaos, ledger=ledger)
                await _settle(database, clock, limit=120)
            finally:
                await bots.stop_all()
                await asyncio.to_thread(_keep_logs, workdir, LOGS / ("faulty" if chaos else "calm"))
            await _read_ledger(database, slack, ledger)
    await database.dispose()
    await _drop_database(admin_url, name)
    return ledger


def _keep_logs(workdir: Path, kept: Path) -> None:
    kept.mkdir(parents=True, exist_ok=True)
    for log in workdir.glob("*.log"):
        shutil.copy(log, kept / log.name)


async def _seed(database: Database, now: datetime) -> None:
    from storage import points as point_store
    from storage.points import DailyValue

    until = scenario.START.date() - timedelta(days=1)
    async with database.transaction() as session:
        for key, target in scenario.TARGETS.items():
            await point_store.upsert_points(
                session=session,
                team_id=scenario.TEAM,
                metric_key=key,
                values=[DailyValue(until - timedelta(days=n), float(target)) for n in range(10)],
                origin="soak",
                now=now,
            )


async def _live(
    database: Database,
    slack: FakeSlack,
    bots: Bots,
    clock: FileClock,
    rng: random.Random,
    *,
    chaos: bool,
    ledger: Ledger,
) -> None:
    """Turn the clock through the story, checking in and (with chaos) breaking things."""
    events: list[tuple[datetime, str, Callable[[], Awaitable[Any]]]] = []
    for when, channel, text in scenario.checkins():
        events.append((when, text, _checkin(slack, bots, channel, text)))
    if chaos:
        slack.chaos(0.05, FLAKY, seed=rng.randrange(1 << 30))
        for when, what in chaos_plan(rng):
            events.append((when, what, _fault(what, slack, bots)))
        events.append((scenario.end(), "calm", _calm(slack)))
    events.sort(key=lambda event: event[0])
    now = scenario.START
    while now < scenario.end() + scenario.TAIL:
        now += STEP
        clock.write(now)
        while events and events[0][0] <= now:
            when, what, act = events.pop(0)
            ledger.events.append(f"{when:%a %H:%M} {what}")
            await act()
        # Time moves on only once the bots have caught up (a stall, a dead bot's lease or a
        # restarting database may hold them up to the limit): leases and timeouts keep their
        # real proportions, as days pass in minutes.
        await _settle(database, clock, limit=STEP_LIMIT)


def _checkin(
    slack: FakeSlack, bots: Bots, channel: str, text: str
) -> Callable[[], Awaitable[None]]:
    async def act() -> None:
        await command(slack, bots, channel, scenario.OWNER, text, expect="Recorded")

    return act


def _calm(slack: FakeSlack) -> Callable[[], Awaitable[None]]:
    async def act() -> None:
        slack.chaos(0.0, ())

    return act


def _fault(what: str, slack: FakeSlack, bots: Bots) -> Callable[[], Awaitable[None]]:
    async def act() -> None:
        if what == "kill":
            await bots.kill("a")
            await asyncio.sleep(2)
            await bots.start("a")
        elif what == "restart-postgres":
            await asyncio.to_thread(restart_postgres)
        elif what == "burst-429":
            slack.fail_next("chat.postMessage", status=429, retry_after=2, times=6)
        elif what == "stall":
            slack.stall("chat.postMessage", 12)  # past the client's 10 s timeout

    return act


async def _settle(database: Database, clock: FileClock, *, limit: float) -> None:
    """Wait (real time, clock still, at most `limit` seconds) until nothing due is undone: no
    outbox row due and not done, no run claim held and not done — twice in a row."""
    deadline = time.monotonic() + limit
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        await asyncio.sleep(STEP_SECONDS)
        now = clock()
        try:
            async with database.transaction() as session:
                rows = (await session.exec(select(OutboxMessage))).all()
                claims = (await session.exec(select(RunClaim))).all()
        except Exception:  # the database may be restarting
            quiet = 0
            continue
        busy = [r for r in rows if r.done_at is None and r.due_at <= now]
        busy += [c for c in claims if c.done_at is None and c.lease_until > now]
        quiet = 0 if busy else quiet + 1


async def _read_ledger(database: Database, slack: FakeSlack, ledger: Ledger) -> None:
    async with database.transaction() as session:
        rows = list((await session.exec(select(OutboxMessage))).all())
        claims = list((await session.exec(select(RunClaim))).all())
    goals = await _goal_names(database)
    posts = [(_name(r, goals), r.result) for r in rows if r.kind not in EDITS]
    posts += [(c.run_key, c.result) for c in claims]
    named = {
        (str(result.get("channel")), str(result["ts"])): key
        for key, result in posts
        if result.get("ts")
    }
    texts: dict[tuple[str, str], str] = {}
    accepted = [c for c in slack.calls_to("chat.postMessage") if c.accepted]
    for call in accepted:
        where = (str(call.response["channel"]), str(call.response["ts"]))
        if where in named:
            texts[(where[0], str(call.body.get("text", "")))] = named[where]
    for call in accepted:
        where = (str(call.response["channel"]), str(call.response["ts"]))
        text = str(call.body.get("text", ""))
        key = (
            named.get(where) or texts.get((where[0], text)) or f"unrecorded {where[0]} {text[:40]}"
        )
        ledger.posts[key] += 1
        ledger.first_at.setdefault(key, call.sim_at)
    ledger.updates = {_name(r, goals) for r in rows if r.kind in EDITS and r.state == "sent"}
    ledger.failed = {_name(r, goals): r.error or "" for r in rows if r.state == "failed"}


async def _goal_names(database: Database) -> dict[int, str]:
    async with database.transaction() as session:
        goals = (await session.exec(select(Goal))).all()
    return {goal.id or 0: f"{goal.channel_id}/{goal.metric_key}" for goal in goals}


def _name(row: OutboxMessage, goals: dict[int, str]) -> str:
    """A row's run key with its episode or remediation id replaced by its goal, which names
    the same message in every run (ids depend on which check-in a process handled first)."""
    return f"{goals.get(row.goal_id, row.goal_id)} " + _ID.sub(r"\1:#", row.run_key, count=1)
