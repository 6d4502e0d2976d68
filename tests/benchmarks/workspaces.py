"""Many workspaces: 1,000 workspaces × 20 channels, every digest due at the same minute.

goalpulse is installed through OAuth into every workspace (installations seeded with the
installation store's `async_save`, one bot token each at the fake Slack, which accepts a call
only with the token of the workspace the channel is in). Two bot processes on one PostgreSQL
deliver the 20,000 digests between them; then the same again with one of them killed
(SIGKILL) once half the digests are out, the other finishing its share after the dead one's
claims expire (the benchmark's bot process sets a short lease: tests/benchmarks/workspaces_bot.py).

Each channel has GOALS goals on target (green, no escalations), evaluated once before the run
(as a morning's pull would have), so the digests' own evaluation changes no band. Charts are
drawn and uploaded after each digest as in any deployment: goalpulse has no setting to keep
them out.

Figures: the time from the first bot answering `/healthz` (or the first post, if earlier) until
Slack accepted the last digest, beside the floor: the same chat.postMessage calls (the bodies
the bots sent, each with its workspace's token) sent straight at a fresh fake Slack by many
concurrent aiohttp posts, alone. Each workspace's busiest second (the most posts Slack saw in
any 1 s window) against the posting rate plus the burst the pacer allows; digests posted twice
and lost.

    python -m tests.benchmarks.workspaces [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.pacing import WorkspacePacer
from tests.benchmarks.ack_latency import SECRET, free_port, wait_until_up
from tests.benchmarks.fanout import DIGEST_PREFIX, peak_per_second, write_metrics
from tests.benchmarks.health import drop_database, ensure_database
from tests.benchmarks.report import Figure, Size, run_alone
from tests.benchmarks.workspaces_data import Layout, install, reset, seed
from tests.support.fake_slack import Call
from tests.support.fake_slack_oauth import CLIENT_ID, CLIENT_SECRET, FakeSlackWorkspaces

SIZES = {Size.FULL: (1000, 20), Size.TINY: (5, 4)}  # (workspaces, channels per workspace)
# While developing: BENCH_WORKSPACES=100 runs the full size's shape with fewer workspaces.
if workspaces_wanted := os.environ.get("BENCH_WORKSPACES"):
    SIZES[Size.FULL] = (int(workspaces_wanted), SIZES[Size.FULL][1])
RATE = 50.0  # GOALPULSE_SLACK_POSTS_PER_SECOND: posts a second per workspace
TARGET_SECONDS = 60.0
DEADLINE = {Size.FULL: 300.0, Size.TINY: 90.0}  # seconds before the rest count as lost
# The claim lease of the benchmark's bot processes (workspaces_bot.py): longer than any
# digest's claim-to-done time, short enough for the killed bot's claims to lapse in the run.
LEASE_SECONDS = {Size.FULL: 15.0, Size.TINY: 4.0}
TICK_SECONDS = 1.0
SETTLE_SECONDS = 2.0  # after the last digest: time for a duplicate to show up
FLOOR_CONCURRENCY = 64
PROCESSES = 2


@dataclass
class Tally:
    """Digests Slack accepted, per channel, and each workspace's post times."""

    channels: set[str]
    digests: Counter[str] = field(default_factory=Counter)
    posts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    bodies: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    first_post: float = float("inf")
    last_digest: float = 0.0
    scanned: int = 0

    def scan(self, slack: FakeSlackWorkspaces) -> None:
        for call in slack.calls[self.scanned :]:
            if call.method != "chat.postMessage":
                continue
            who = slack.team_of(call) or "?"
            self.posts[who].append(call.at)
            self.first_post = min(self.first_post, call.at)
            if call.accepted and self._is_digest(call):
                self.digests[str(call.body["channel"])] += 1
                self.last_digest = call.at
                self.bodies.append((who, call.body))
        self.scanned = len(slack.calls)

    def _is_digest(self, call: Call) -> bool:
        body = call.body
        return (
            not body.get("thread_ts")
            and str(body.get("channel")) in self.channels
            and str(body.get("text", "")).startswith(DIGEST_PREFIX)
        )

    @property
    def delivered(self) -> int:
        return sum(1 for c in self.channels if self.digests[c])

    @property
    def twice(self) -> int:
        return sum(max(0, n - 1) for n in self.digests.values())

    def worst_second(self) -> tuple[str, int]:
        """The workspace with the busiest second, and how many posts it saw in it."""
        peaks = {who: peak_per_second(times) for who, times in self.posts.items()}
        return max(peaks.items(), key=lambda item: item[1], default=("-", 0))


def bot_env(
    slack: FakeSlackWorkspaces, url: str, metrics: Path, port: int, size: Size
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SLACK_BOT_TOKEN"}
    return env | {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_OAUTH_AUTHORIZE_URL": slack.authorize_url,
        "DATABASE_URL": url,
        "GOALPULSE_METRICS": str(metrics),
        "GOALPULSE_TIMEZONE": "UTC",
        "GOALPULSE_SLACK_POSTS_PER_SECOND": str(RATE),
        "BENCH_LEASE_SECONDS": str(LEASE_SECONDS[size]),
        "BENCH_TICK_SECONDS": str(TICK_SECONDS),
        "PORT": str(port),
    }


@dataclass
class Outcome:
    tally: Tally
    seconds: float  # first bot up (or first post) → last digest accepted; NaN if any is lost
    killed_at: int | None = None  # digests delivered when one process was killed


async def deliver(
    slack: FakeSlackWorkspaces, url: str, root: Path, layout: Layout, *, kill: bool, size: Size
) -> Outcome:
    """Start two bots, wait until every digest is out (killing one halfway if `kill`)."""
    metrics = write_metrics(root)
    ports = [free_port() for _ in range(PROCESSES)]
    logs = [root / f"bot{n}-{'kill' if kill else 'both'}.log" for n in range(PROCESSES)]
    tally = Tally({c for _, c in layout.pairs()})
    slack.reset()
    processes = []
    for port, log in zip(ports, logs, strict=True):
        with log.open("wb") as out:
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.benchmarks.workspaces_bot",
                    env=bot_env(slack, url, metrics, port, size),
                    stderr=out,
                )
            )
    ups = [asyncio.ensure_future(wait_until_up(f"http://127.0.0.1:{p}")) for p in ports]
    try:
        await asyncio.wait(ups, return_when=asyncio.FIRST_COMPLETED)
        started = time.monotonic()
        killed_at = await watch(slack, tally, processes, started + DEADLINE[size], kill=kill)
        await asyncio.sleep(SETTLE_SECONDS)
        tally.scan(slack)
    finally:
        for up in ups:
            up.cancel()
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), 60)
    tally.scan(slack)
    if tally.delivered < layout.count:
        for log in logs:
            tail = log.read_text(errors="replace").splitlines()[-20:]
            print("\n".join([f"{log.name} (tail):", *tail]), file=sys.stderr)
    started = min(started, tally.first_post)
    lost = tally.delivered < layout.count
    return Outcome(tally, float("nan") if lost else tally.last_digest - started, killed_at)


async def watch(
    slack: FakeSlackWorkspaces,
    tally: Tally,
    processes: list[asyncio.subprocess.Process],
    deadline: float,
    *,
    kill: bool,
) -> int | None:
    """Count digests until all are out or the deadline passes; with `kill`, SIGKILL the first
    bot once half are out. Returns how many were out when it was killed."""
    killed_at = None
    while tally.delivered < len(tally.channels) and time.monotonic() < deadline:
        if all(p.returncode is not None for p in processes):
            break  # every bot stopped (killed, or failed to start: their logs follow)
        await slack.next_call(0.1)
        tally.scan(slack)
        if kill and killed_at is None and tally.delivered >= len(tally.channels) // 2:
            processes[0].send_signal(signal.SIGKILL)
            killed_at = tally.delivered
    return killed_at


async def floor_seconds(layout: Layout, bodies: list[tuple[str, dict[str, object]]]) -> float:
    """The fake Slack's own time for the same chat.postMessage calls, sent straight at a fresh
    one by FLOOR_CONCURRENCY concurrent aiohttp posts (JSON, as slack_sdk sends them)."""
    slack = FakeSlackWorkspaces()
    async with slack:
        tokens = install(slack, layout)
        work = iter(bodies)
        url = f"{slack.api_url}chat.postMessage"

        async def poster(http: aiohttp.ClientSession) -> None:
            for who, body in work:
                headers = {"Authorization": f"Bearer {tokens.get(who, '')}"}
                async with http.post(url, json=body, headers=headers) as response:
                    answer = await response.json()
                    if not answer.get("ok"):
                        raise RuntimeError(f"the fake refused a replayed digest: {answer}")

        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(poster(http) for _ in range(FLOOR_CONCURRENCY)))
        return time.monotonic() - started


async def run(size: Size, *, postgres_url: str | None = None) -> list[Figure]:
    """Both runs (two processes; one killed halfway) and the floor; nothing without PostgreSQL."""
    if postgres_url is None:
        return []
    name = f"goalpulse_bench_workspaces_{uuid.uuid4().hex[:8]}"
    if not await ensure_database(postgres_url, name):
        return []
    layout = Layout(*SIZES[size])
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            slack = FakeSlackWorkspaces()
            async with slack:
                tokens = install(slack, layout)
                await seed(url, layout, tokens, now=datetime.now(UTC))
                both = await deliver(slack, url, root, layout, kill=False, size=size)
                await reset(url)
                killed = await deliver(slack, url, root, layout, kill=True, size=size)
    finally:
        await drop_database(postgres_url, name)
    floor = await floor_seconds(layout, both.tally.bodies)
    return figures(size, layout, both, killed, floor)


def figures(
    size: Size, layout: Layout, both: Outcome, killed: Outcome, floor: float
) -> list[Figure]:
    judged = size is Size.FULL
    burst = WorkspacePacer(RATE).burst
    shape = f"{layout.workspaces} workspaces × {layout.channels} channels"
    result = []
    for label, outcome in (("two processes", both), ("one killed halfway", killed)):
        worst, peak = outcome.tally.worst_second()
        result += [
            Figure(
                "workspaces",
                f"{label}: all {layout.count} digests delivered ({shape})",
                outcome.seconds,
                "s",
                "fake Slack alone",
                floor,
                target=f"< {TARGET_SECONDS:.0f} s",
                limit=TARGET_SECONDS,
                judged=judged,
            ),
            Figure(
                "workspaces",
                f"{label}: busiest workspace's posts in any 1 s ({worst})",
                float(peak),
                "/s",
                "posting rate",
                RATE,
                target=f"≤ {RATE:.0f}/s + a {burst}-post burst",
                limit=RATE + burst,
                judged=judged,
            ),
            Figure(
                "workspaces",
                f"{label}: digests posted twice / lost",
                float(outcome.tally.twice + layout.count - outcome.tally.delivered),
                "",
                target=f"0 ({outcome.tally.twice} twice)",
                limit=0,
                judged=judged,
            ),
        ]
    return result


if __name__ == "__main__":
    run_alone(run, __doc__)
