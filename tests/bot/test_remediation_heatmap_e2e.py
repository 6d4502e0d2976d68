"""The customer heatmap in a remediation's thread, end to end: a goal on `high_value_share` (a
customer-grain measure; its points written straight into the database, as a pull would) drifts
to red, its remediation opens, and the real outbox sender scores the customers of a small
orders CSV, draws the recency × frequency grid and uploads it into the thread after the
checklist; or says why it cannot, or ends as any thread message Slack refuses for good."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from jobs.customers import scored
from jobs.outbox import heatmap
from storage.models import OutboxMessage, RemediationRow
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.dashboard_metrics import write_metrics_yml
from tests.support.fake_slack import Call, FakeSlack
from tests.support.world import CHANNEL, TEAM, World, at, text_of

START = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone; 09:00 in London
TODAY = START.date()
LEAD, ADMIN = "U0LI", "U0ADMIN"
PNG = b"\x89PNG\r\n\x1a\n"
FILENAME = "customer-heatmap-2026-11-25.png"
TITLE = "Customers by recency × frequency, 2026-11-25"
UNAVAILABLE = "Customer heatmap unavailable"
METRICS = {
    "high_value": {"source": {"kind": "dataset", "measure": "high_value_share"}},
    "orders": {"source": {"kind": "dataset", "measure": "orders"}},
}
# Each metric's steady value, then today's: a third or more the wrong way, so red.
SERIES = {"high_value": (0.30, 0.20), "orders": (100.0, 60.0)}
TARGETS = {"high_value": "30%", "orders": "100"}


def orders_csv(customers: int = 40) -> str:
    """Orders as the dataset declares them: customer i orders 1 + i % 6 times, spread over the
    year before TODAY, for amounts that differ by customer."""
    lines = ["customer_id,ordered_at,amount"]
    for i in range(customers):
        for k in range(1 + i % 6):
            day = TODAY - timedelta(days=(i * 37 + k * 53) % 300)
            lines.append(f"c{i:03d},{day.isoformat()}T12:00:00,{10 + (i * 7) % 90 + k}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """The orders dataset over tmp_path/orders/*.csv (written by the tests that need it)."""
    return write_metrics_yml(tmp_path, METRICS)


def write_orders(metrics_path: Path) -> Path:
    """The orders CSV where the dataset's glob finds it."""
    folder = metrics_path.parent / "orders"
    folder.mkdir()
    path = folder / "orders.csv"
    path.write_text(orders_csv(), encoding="utf-8")
    return path


@pytest.fixture
def orders_file(metrics_path: Path) -> Path:
    return write_orders(metrics_path)


async def slow_scoring(*args: object, **kwargs: object) -> None:
    await asyncio.sleep(1.5)  # past the 0.6 s the test allows, on its worker thread's loop
    raise AssertionError("given up on before this")


async def failing_scoring(*args: object, **kwargs: object) -> None:
    raise FloatingPointError("the optimiser diverged")


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot, ten steady days of each metric stored, Li leads; digests at 18:00."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    for key, (steady, _) in SERIES.items():
        await world.seed_points(key, steady, days=10, until=TODAY)
    await world.say(f"config lead <@{LEAD}|li> digest 18:00", user=ADMIN)
    yield world
    await world.stop()
    await world.database.dispose()


async def drift_to_red(world: World, key: str = "high_value") -> RemediationRow:
    """A goal on `key` at its steady value, today's adverse value stored and evaluated (as
    after a pull); its remediation, once everything due was sent."""
    await world.say(f"set {key} {TARGETS[key]}")
    await world.seed_points(key, SERIES[key][1], days=1, until=TODAY)
    await world.bots[0].services.engine.evaluate_goals(team_id=TEAM)
    await world.settle()
    return await world.remediation()


async def heatmap_rows(world: World) -> list[OutboxMessage]:
    return [row for row in await world.outbox() if row.kind == "remediation_heatmap"]


def heatmap_uploads(world: World) -> list[Call]:
    """The calls that shared a heatmap (a digest's chart may be shared too)."""
    return [
        call
        for call in world.slack.calls_to("files.completeUploadExternal")
        if call.body["files"][0].get("title") == TITLE
    ]


def checklist_post(world: World, rem: RemediationRow) -> Call:
    [call] = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.accepted and c.response.get("ts") == rem.checklist_ts
    ]
    return call


async def test_the_thread_gets_the_checklist_then_the_heatmap(
    world: World, orders_file: Path
) -> None:
    """The heatmap of today's customers is uploaded into the remediation's thread after its
    checklist, and its row is done with the file's id; a goal on a day-grain measure (orders)
    queues no heatmap."""
    rem = await drift_to_red(world)
    assert rem.parent_ts is not None
    assert rem.checklist_ts is not None

    [complete] = heatmap_uploads(world)
    assert complete.accepted
    file_id = complete.body["files"][0]["id"]
    [asked] = [
        c
        for c in world.slack.calls_to("files.getUploadURLExternal")
        if c.response["file_id"] == file_id
    ]
    assert asked.body["filename"] == FILENAME
    [upload] = [c for c in world.slack.calls_to("upload") if c.body["file_id"] == file_id]
    assert upload.body["content"].startswith(PNG)
    assert (complete.body["channel_id"], complete.body["thread_ts"]) == (CHANNEL, rem.parent_ts)
    [shared] = complete.response["files"]
    assert (shared["name"], shared["title"]) == (FILENAME, TITLE)
    calls = world.slack.calls
    assert calls.index(checklist_post(world, rem)) < calls.index(asked), "checklist first"

    [row] = await heatmap_rows(world)
    assert (row.run_key, row.remediation_id) == (f"remediation:{rem.id}:heatmap", rem.id)
    assert row.state == "sent"
    assert row.result == {"channel": CHANNEL, "thread_ts": rem.parent_ts, "file": shared["id"]}
    assert not [m for m in world.thread(rem.parent_ts) if UNAVAILABLE in text_of(m)]

    other = await drift_to_red(world, "orders")
    assert other.id != rem.id
    assert other.checklist_ts is not None
    assert len(await heatmap_rows(world)) == 1
    assert heatmap_uploads(world) == [complete]


@pytest.mark.parametrize(
    ("orders", "scoring", "reason"),
    [
        pytest.param(
            False,
            None,
            "the orders dataset could not be read (no csv files found)",
            id="orders-file-missing",
        ),
        pytest.param(
            True, slow_scoring, "scoring the customers took longer than 0.6 s", id="too-slow"
        ),
        pytest.param(
            True,
            failing_scoring,
            "an unexpected error (FloatingPointError)",
            id="scoring-fails",
        ),
    ],
)
async def test_a_heatmap_that_cannot_be_drawn_leaves_a_note_instead(
    world: World,
    metrics_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    orders: bool,
    scoring: Callable[..., None] | None,
    reason: str,
) -> None:
    """No orders file matches the dataset's glob, scoring runs past its limit (here 1% of the
    60 s send timeout), or scoring fails: the thread says why there is no heatmap, nothing is
    uploaded, and the row is done (not retried)."""
    if orders:
        write_orders(metrics_path)
    if scoring is not None:
        monkeypatch.setattr(scored, "scored_customers", scoring)
        monkeypatch.setattr(heatmap, "SCORING_SHARE", 0.01)
    rem = await drift_to_red(world)
    assert rem.parent_ts is not None

    [note] = [m for m in world.thread(rem.parent_ts) if UNAVAILABLE in text_of(m)]
    assert note["text"].startswith(f"{UNAVAILABLE}: {reason}")
    assert not [
        c
        for c in world.slack.calls_to("files.getUploadURLExternal")
        if c.body["filename"] == FILENAME
    ]
    [row] = await heatmap_rows(world)
    assert row.state == "sent"
    assert row.result["ts"] == note["ts"]
    assert row.result["unavailable"].startswith(reason)

    await world.advance(timedelta(hours=1))
    assert len([m for m in world.thread(rem.parent_ts) if UNAVAILABLE in text_of(m)]) == 1


async def test_a_channel_that_refuses_the_file_for_good_ends_the_row(
    world: World, orders_file: Path
) -> None:
    """Slack answers `not_in_channel` to every upload: the row fails once and for all, and
    the lead is told what to fix, as for any thread message; nothing is tried again."""
    world.slack.refuse("files.completeUploadExternal", "not_in_channel")
    rem = await drift_to_red(world)
    assert rem.checklist_ts is not None, "the thread itself went out"

    [row] = await heatmap_rows(world)
    assert (row.state, row.error) == ("failed", f"not_in_channel ({CHANNEL})")
    assert len(heatmap_uploads(world)) == 1
    [problem] = [r for r in await world.outbox() if r.kind == "problem"]
    assert problem.payload["failed_kind"] == "remediation_heatmap"
    assert problem.state == "sent"
    [notice] = [m for m in world.dms(LEAD) if "could not deliver" in text_of(m)]
    assert "/invite @goalpulse" in text_of(notice)
    stuck = [r.run_key for r in await world.outbox() if r.done_at is None and r.due_at <= START]
    assert stuck == []

    await world.advance(timedelta(hours=1))
    assert len(heatmap_uploads(world)) == 1
