"""Scheduled check-ins end to end in the engine: asking on the owner's own clock, once however
many processes tick, then the prompt, its reminder and the close through the real outbox sender,
Slack's messenger and the fake Slack Web API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.constants import CHECKIN_BUTTON
from bot.messenger import SlackMessenger
from bot.pacing import ChannelPacer
from bot.slack_client import build_client
from jobs.checkins.cadence import Cadence
from jobs.checkins.service import ask_due, record_answer, set_cadence
from jobs.context import EngineContext
from jobs.errors import PermissionDeniedError
from jobs.goals.service import Actor, set_status
from jobs.metrics.catalog import MetricCatalog
from jobs.outbox.sender import OutboxSender
from storage import checkins as checkin_store
from storage import points as point_store
from storage.db import Database
from storage.models import AuditEvent, Checkin, Goal, GoalStatus, OutboxMessage
from tests.conftest import BOT_TOKEN
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.rows import stored

TEAM, CHANNEL, OWNER = "T0001", "C0GROWTH", "U0OLIVE"
DEPLOYMENT_TZ = "Asia/Shanghai"
SET_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
# Monday 30 November, 10:00 in New York (EST, UTC−5); 23:00 that Monday in Shanghai.
MONDAY_10_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
WEEKLY = Cadence(every="week", at=time(10, 0), weekday=0)
DAILY = Cadence(every="day", at=time(9, 30))


async def never_admin() -> bool:
    return False


def person(user_id: str) -> Actor:
    return Actor(user_id=user_id, is_admin=never_admin)


@dataclass
class Bot:
    """The engine's side of one process: its context and outbox sender, on a shared clock."""

    context: EngineContext
    sender: OutboxSender


@dataclass
class Setup:
    database: Database
    clock: SettableClock
    slack: FakeSlack
    bot: Bot
    messenger: SlackMessenger
    catalog: MetricCatalog

    def another_bot(self) -> Bot:
        return _bot(self.database, self.messenger, self.catalog, self.clock, "worker-2")

    async def goal(
        self, metric: str = "aov", cadence: Cadence = WEEKLY, *, status: str = "active"
    ) -> int:
        """A goal owned by the New York owner, its check-ins set at SET_AT."""
        async with self.database.transaction() as session:
            goal = await stored(
                session,
                Goal(
                    team_id=TEAM,
                    channel_id=CHANNEL,
                    metric_key=metric,
                    target=50.0,
                    direction="higher",
                    unit="currency",
                    owner_id=OWNER,
                    status=status,
                    created_by=OWNER,
                    created_at=SET_AT,
                    updated_at=SET_AT,
                ),
            )
            await set_cadence(
                session=session, goal=goal, cadence=cadence, actor=person(OWNER), now=SET_AT
            )
        assert goal.id is not None
        return goal.id

    async def ask_at(self, moment: datetime) -> int:
        self.clock.set(moment)
        return await ask_due(self.bot.context)

    async def send_at(self, moment: datetime) -> list[tuple[str, str, str | None]]:
        """Run the outbox at `moment`: (kind, status, detail) of each row handled."""
        self.clock.set(moment)
        return [(o.kind, o.status, o.detail) for o in await self.bot.sender.run_due()]

    async def checkins(self) -> list[Checkin]:
        async with self.database.transaction() as session:
            return list((await session.exec(select(Checkin).order_by(col(Checkin.id)))).all())

    async def outbox(self) -> list[OutboxMessage]:
        async with self.database.transaction() as session:
            statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
            return list((await session.exec(statement)).all())

    def dms(self) -> list[dict[str, Any]]:
        """The messages the bot posted in DM channels, in order."""
        return [m for m in self.slack.posted_messages() if str(m["channel"]).startswith("D")]


def _bot(
    database: Database,
    messenger: SlackMessenger,
    catalog: MetricCatalog,
    clock: SettableClock,
    worker: str,
) -> Bot:
    context = EngineContext(
        database=database,
        messenger=messenger,
        catalog=catalog,
        clock=clock,
        timezone=DEPLOYMENT_TZ,
        worker=worker,
    )
    return Bot(context=context, sender=OutboxSender(context=context))


@pytest.fixture
async def setup(database: Database, fake_slack: FakeSlack, catalog: MetricCatalog) -> Setup:
    fake_slack.add_user(OWNER, name="olive", tz="America/New_York", tz_offset=-18000)
    client = build_client(BOT_TOKEN, api_url=fake_slack.api_url)
    messenger = SlackMessenger(client, pacer=ChannelPacer(interval=0))
    clock = SettableClock(SET_AT)
    return Setup(
        database=database,
        clock=clock,
        slack=fake_slack,
        bot=_bot(database, messenger, catalog, clock, "worker-1"),
        messenger=messenger,
        catalog=catalog,
    )


def button_of(message: dict[str, Any]) -> dict[str, Any]:
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    [element] = actions["elements"]
    return dict(element)


async def test_the_owner_is_asked_at_ten_in_their_own_timezone_once(setup: Setup) -> None:
    """Not at 10:00 in the deployment's Shanghai, but at 10:00 in New York; two processes
    ticking together and a second tick ask once."""
    await setup.goal()
    assert await setup.ask_at(MONDAY_10_NY - timedelta(minutes=1)) == 0
    assert await setup.checkins() == []

    setup.clock.set(MONDAY_10_NY)
    both = await asyncio.gather(ask_due(setup.bot.context), ask_due(setup.another_bot().context))
    assert sorted(both) == [0, 1]
    assert await setup.ask_at(MONDAY_10_NY + timedelta(minutes=1)) == 0

    [checkin] = await setup.checkins()
    assert (checkin.user_id, checkin.state, checkin.slot_at) == (OWNER, "asked", MONDAY_10_NY)
    assert checkin.day == date(2026, 11, 30)  # 23:00 that Monday in Shanghai
    queued = {(row.kind, row.due_at) for row in await setup.outbox()}
    assert queued == {
        ("checkin_prompt", MONDAY_10_NY),
        ("checkin_reminder", MONDAY_10_NY + timedelta(hours=4)),
        ("checkin_close", MONDAY_10_NY + timedelta(hours=24)),
    }


async def test_a_paused_goal_is_not_asked_and_pausing_cancels_an_open_check_in(
    setup: Setup,
) -> None:
    """Pausing cancels the open check-in: after resuming, nothing about it is sent."""
    await setup.goal(status="paused")
    asked_goal = await setup.goal(metric="nps")
    assert await setup.ask_at(MONDAY_10_NY) == 1
    [checkin] = await setup.checkins()
    assert checkin.goal_id == asked_goal

    for status, minutes in ((GoalStatus.PAUSED, 5), (GoalStatus.ACTIVE, 10)):
        async with setup.database.transaction() as session:
            await set_status(
                session=session,
                team_id=TEAM,
                channel_id=CHANNEL,
                actor=person(OWNER),
                metric_key="nps",
                status=status,
                now=MONDAY_10_NY + timedelta(minutes=minutes),
            )
    assert await setup.send_at(MONDAY_10_NY + timedelta(hours=30)) == []
    assert setup.dms() == []
    [checkin] = await setup.checkins()
    assert checkin.state == "cancelled"
    assert {row.result["skipped"] for row in await setup.outbox()} == {"check-in cancelled"}


async def test_after_a_week_down_only_the_newest_slot_is_asked_and_now(setup: Setup) -> None:
    """Seven daily slots passed while the bot was down: one prompt, for the latest, sent now
    (its reminder and close count from now)."""
    await setup.goal(cadence=DAILY)
    back = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 12:00 in New York
    assert await setup.ask_at(back) == 1
    assert await setup.ask_at(back + timedelta(minutes=1)) == 0
    [checkin] = await setup.checkins()
    assert checkin.slot_at == datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # 09:30 in New York
    assert checkin.asked_at == back
    due = {row.kind: row.due_at for row in await setup.outbox()}
    assert due["checkin_reminder"] == back + timedelta(hours=4)


async def test_unanswered_the_owner_is_reminded_once_then_it_is_missed(setup: Setup) -> None:
    """The prompt with its Check in button, a reminder 4 h later, the close at 24 h: missed."""
    await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    [checkin] = await setup.checkins()

    [(kind, status, ts)] = await setup.send_at(MONDAY_10_NY)
    assert (kind, status) == ("checkin_prompt", "sent")
    [prompt] = setup.dms()
    [checkin] = await setup.checkins()
    assert (checkin.dm_channel, checkin.dm_ts) == (prompt["channel"], ts)
    assert prompt["text"] == "Time to check in on Average order value"
    assert button_of(prompt) | {"text": None} == {
        "type": "button",
        "action_id": CHECKIN_BUTTON,
        "value": str(checkin.id),
        "style": "primary",
        "text": None,
    }

    assert await setup.send_at(MONDAY_10_NY + timedelta(hours=3, minutes=59)) == []
    [(kind, status, _)] = await setup.send_at(MONDAY_10_NY + timedelta(hours=4))
    assert (kind, status) == ("checkin_reminder", "sent")
    assert [m["text"] for m in setup.dms()][1:] == [
        "Reminder: time to check in on Average order value"
    ]
    [checkin] = await setup.checkins()
    assert checkin.state == "reminded"

    assert await setup.send_at(MONDAY_10_NY + timedelta(hours=24)) == [
        ("checkin_close", "sent", "None")
    ]
    [checkin] = await setup.checkins()
    assert checkin.state == "missed"
    assert len(setup.dms()) == 2


async def test_an_answer_before_the_reminder_stops_it_and_redraws_the_prompt(
    setup: Setup,
) -> None:
    """Answered within the hour: the DM says so, the value is the metric's point for the day,
    and the reminder and close are skipped."""
    await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    await setup.send_at(MONDAY_10_NY)
    [checkin] = await setup.checkins()
    assert checkin.id is not None
    assert checkin.dm_ts is not None

    answered = await record_answer(
        database=setup.database,
        team_id=TEAM,
        checkin_id=checkin.id,
        user_id=OWNER,
        value=52.5,
        confidence="off_track",
        moved="Promo <!channel> ended",
        blockers=None,
        now=MONDAY_10_NY + timedelta(hours=1),
        catalog=setup.catalog,
    )
    assert (answered.state, answered.confidence, answered.value, answered.late) == (
        "answered",
        "off_track",
        52.5,
        False,
    )
    assert await setup.send_at(MONDAY_10_NY + timedelta(hours=1)) == [
        ("checkin_answered", "sent", checkin.dm_ts)
    ]
    [redraw] = setup.slack.calls_to("chat.update")
    assert (redraw.body["channel"], redraw.body["ts"]) == (checkin.dm_channel, checkin.dm_ts)
    assert redraw.body["text"] == "Checked in on Average order value"
    assert "<!channel>" not in str(redraw.body["blocks"])

    later = [
        await setup.send_at(MONDAY_10_NY + timedelta(hours=4)),
        await setup.send_at(MONDAY_10_NY + timedelta(hours=24)),
    ]
    assert later == [
        [("checkin_reminder", "skipped", "the check-in is answered")],
        [("checkin_close", "skipped", "the check-in is answered")],
    ]
    assert len(setup.dms()) == 1
    async with setup.database.transaction() as session:
        points = await point_store.points_since(
            session=session, team_id=TEAM, metric_keys=["aov"], since=checkin.day
        )
    assert [(p.day, p.value, p.recorded_by) for p in points] == [(checkin.day, 52.5, OWNER)]


async def test_an_owner_slack_refuses_for_good_ends_undeliverable(setup: Setup) -> None:
    """user_not_found on the prompt: the check-in is undeliverable, its reminder and close are
    skipped, and the owner is never tried again."""
    await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    setup.slack.refuse("conversations.open", "user_not_found")

    first = await setup.send_at(MONDAY_10_NY)
    assert ("checkin_prompt", "failed", f"user_not_found ({OWNER})") in first
    [checkin] = await setup.checkins()
    assert checkin.state == "undeliverable"
    later = [
        *await setup.send_at(MONDAY_10_NY + timedelta(hours=4)),
        *await setup.send_at(MONDAY_10_NY + timedelta(hours=24)),
    ]
    assert [outcome for outcome in later if outcome[0] != "problem"] == [
        ("checkin_reminder", "skipped", "the check-in is undeliverable"),
        ("checkin_close", "skipped", "the check-in is undeliverable"),
    ]
    assert len(setup.slack.calls_to("conversations.open")) == 1
    assert setup.dms() == []
    # With no lead to tell, the channel is told that Slack does not know the owner.
    [notice] = setup.slack.posted_messages(CHANNEL)
    assert "user_not_found" in str(notice["blocks"])


async def test_only_the_asked_owner_may_answer(setup: Setup) -> None:
    """Someone else's answer is refused and changes nothing."""
    await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    [checkin] = await setup.checkins()
    assert checkin.id is not None
    with pytest.raises(PermissionDeniedError):
        await record_answer(
            database=setup.database,
            team_id=TEAM,
            checkin_id=checkin.id,
            user_id="U0LI",
            value=10.0,
            confidence="on_track",
            moved=None,
            blockers=None,
            now=MONDAY_10_NY,
        )
    [after] = await setup.checkins()
    assert (after.state, after.value, after.version) == ("asked", None, 1)
    assert "checkin_answered" not in {row.kind for row in await setup.outbox()}


async def test_a_late_answer_after_the_miss_is_kept(setup: Setup) -> None:
    """Recorded missed at 24 h, answered at 30 h: answered, marked late, and counted as the
    goal's latest check-in."""
    await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    for hours in (0, 4, 24):
        await setup.send_at(MONDAY_10_NY + timedelta(hours=hours))
    [checkin] = await setup.checkins()
    assert checkin.state == "missed"
    assert checkin.id is not None

    late = await record_answer(
        database=setup.database,
        team_id=TEAM,
        checkin_id=checkin.id,
        user_id=OWNER,
        value=None,
        confidence="at_risk",
        moved=None,
        blockers="Waiting on finance",
        now=MONDAY_10_NY + timedelta(hours=30),
    )
    assert (late.state, late.late, late.blockers) == ("answered", True, "Waiting on finance")
    async with setup.database.transaction() as session:
        [recent] = await checkin_store.recent_checkins(
            session=session, team_id=TEAM, goal_id=checkin.goal_id
        )
    assert (recent.id, recent.confidence) == (checkin.id, "at_risk")


async def test_turning_check_ins_off_takes_the_goals_editor_and_cancels_the_open_one(
    setup: Setup,
) -> None:
    """An outsider may not; the owner may, which cancels the open check-in, and it is audited."""
    goal_id = await setup.goal()
    await setup.ask_at(MONDAY_10_NY)
    async with setup.database.transaction() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        with pytest.raises(PermissionDeniedError):
            await set_cadence(
                session=session, goal=goal, cadence=None, actor=person("U0BOB"), now=MONDAY_10_NY
            )
    async with setup.database.transaction() as session:
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        await set_cadence(
            session=session, goal=goal, cadence=None, actor=person(OWNER), now=MONDAY_10_NY
        )
        events = (await session.exec(select(AuditEvent.action, AuditEvent.details))).all()
    [checkin] = await setup.checkins()
    assert checkin.state == "cancelled"
    assert [(a, d.get("cancelled_checkins")) for a, d in events if a == "goal.checkins"] == [
        ("goal.checkins", None),
        ("goal.checkins", 1),
    ]
    assert await setup.ask_at(MONDAY_10_NY + timedelta(days=7)) == 0
