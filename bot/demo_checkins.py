"""The demo's third part: a working week of daily check-ins on one goal, one of them missed,
then the next Monday's digest and the weekly summary in the thread of the week's first digest.

The clock moves on; the real engine asks, reminds, records the miss and summarises, and the
terminal messenger prints what Slack would get. The owner's answers go through
jobs/checkins/service.py `record_answer`, as the check-in form's submission does
(bot/views/__init__.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from bot.demo_messenger import RECIPIENT_TIMEZONE
from bot.demo_story import Story
from bot.render.figures import reader_day
from bot.render.goal_notes import confidence_label
from bot.render.terminal import DIM
from jobs.checkins.service import Answer, record_answer
from jobs.i18n import N_, _
from jobs.messages import CheckinAnswered, CheckinPrompt, Outgoing, WeeklyCheckinSummary
from jobs.metrics.catalog import CsvSource
from storage import checkins as checkin_store
from storage import goals as goal_store
from storage.models import CheckinState

CHECKIN_GOAL = "gmv"  # the goal whose check-ins the demo follows
OWNER, OWNER_NAME = "U0LI", "li"  # its owner, who reads DMs in Berlin (bot/demo_messenger.py)
ASK_AT, REMIND_AT = "09:30", "13:30"  # in the owner's zone; the reminder comes 4 hours later
PULL_AT = time(6, 0)  # UTC: the morning pull, before anyone in Europe is asked
DIGEST_AT = time(9, 0)  # UTC: #growth's digest time (bot/demo.py `script`)
KPI_EXPORT = "daily_kpis.csv"
DATASET_FILES = ("orders.csv", "activity.parquet")
# The owner's city as the narration names it, by time zone.
CITIES = {"Europe/Berlin": N_("Berlin")}

CHECKINS_INTRO = N_(
    "Gross merchandise value is green, but numbers lag what its owner knows. Check-ins ask the "
    "owner for a word on a schedule: on Sunday evening @li turns them on, every day at 09:30 in "
    "@li's own time zone (Berlin). Each morning the exports gain a day and the pull reads them."
)
FIRST_PROMPT = N_(
    "The check-in tick (every minute in production) asks, and the timers tick sends the DM. "
    "@li clicks [ Check in ] and sends the form; the DM is redrawn with the answer."
)
FIRST_DIGEST = N_(
    "#growth's digest, the first of the week, shows the owner's latest word beside the goal. "
    "Next Monday's summary of the week goes in its thread."
)
ASKED = N_("Asked again.")
UNANSWERED = N_("Asked again; nobody answers.")
REMINDER = N_("4 hours later, still unanswered: the one reminder.")
MISSED = N_("Thursday's check-in has gone 24 hours unanswered: it is recorded missed (no DM).")
NEXT_MONDAY = N_(
    "The clock skips to next Monday's digest, the first of a new week (the demo leaves out the "
    "weekend's check-ins and Monday's: daily means every day). @li's latest word is off track, "
    "so the goal is raised to yellow though its numbers are on target. In the thread of last "
    "Monday's digest: the week's check-ins, the notes quoted under @li's name."
)
CHECKINS_END = N_(
    "Had @li answered Thursday's check-in late, the answer would have been kept, marked late. "
    "/goal checkins gmv off stops the prompts and cancels any still open."
)

# The answers from Monday to Friday; None: nobody answers. The notes are typed in the
# demo's language (`_` when answering).
WEEK: tuple[Answer | None, ...] = (
    Answer(
        value=None, confidence="on_track", moved=N_("Launched the referral banner"), blockers=None
    ),
    Answer(value=None, confidence="on_track", moved=None, blockers=None),
    Answer(
        value=None,
        confidence="at_risk",
        moved=None,
        blockers=N_("Waiting on legal review of the coupon copy"),
    ),
    None,
    Answer(
        value=None,
        confidence="off_track",
        moved=N_("The coupon promo slipped a week"),
        blockers="Waiting on legal review of the coupon copy",
    ),
)

Say = Callable[[str, str], Awaitable[None]]  # types `/goal <text>` as a user; prints the reply


def shown(message: Outgoing) -> bool:
    """Whether a message belongs to the chapter: the followed goal's prompts, reminders and
    redrawn DMs, and the weekly summary."""
    if isinstance(message, CheckinPrompt | CheckinAnswered):
        return message.goal.metric_key == CHECKIN_GOAL
    return isinstance(message, WeeklyCheckinSummary)


class CheckinWeek:
    """A week of daily check-ins on one goal, then the next Monday's digest and summary."""

    def __init__(self, story: Story, say: Say) -> None:
        """Told after `story`, in its channel, with its engine, clock and narrator."""
        self.engine, self.clock, self.out = story.engine, story.clock, story.out
        self.folder, self.team_id, self.channel_id = story.folder, story.team_id, story.channel_id
        self.say = say
        self.zone = ZoneInfo(RECIPIENT_TIMEZONE)

    async def run(self) -> None:
        """Tell the week, the engine's own log lines left out (the transcript says it all)."""
        log = logging.getLogger("goalpulse.checkins")
        before = log.level
        log.setLevel(logging.WARNING)
        try:
            await self._week()
        finally:
            log.setLevel(before)

    async def _week(self) -> None:
        self.out.heading(
            _("Check-ins: {owner} reports on {key} every morning").format(
                owner=f"@{OWNER_NAME}", key=CHECKIN_GOAL
            )
        )
        self.out.paragraph(_(CHECKINS_INTRO))
        today = self.clock().date()
        monday = today + timedelta(days=7 - today.weekday())  # the next one, after the story
        self.at(monday - timedelta(days=1), time(18, 0), UTC)  # Sunday evening
        await self.say(OWNER, f"checkins {CHECKIN_GOAL} daily {ASK_AT}")
        for number, answer in enumerate(WEEK):
            day = monday + timedelta(days=number)
            await self.morning_pull(day, datasets=number == 0)
            said = FIRST_PROMPT if number == 0 else ASKED if answer else UNANSWERED
            self.local(day, ASK_AT, said)
            await self.engine.checkins_tick()
            await self.engine.timers_tick()  # the prompt; on Friday, Thursday's close too
            if number > 0 and WEEK[number - 1] is None:
                await self.missed(day - timedelta(days=1))
            if answer is not None:
                await self.answer(answer)
            else:
                self.local(day, REMIND_AT, REMINDER)
                await self.engine.timers_tick()
            if number == 0:
                await self.digest(day, FIRST_DIGEST)
        next_monday = monday + timedelta(days=7)
        await self.morning_pull(next_monday, datasets=True)
        await self.digest(next_monday, NEXT_MONDAY)
        await self.engine.timers_tick()  # the summary the digest queued
        self.out.paragraph(_(CHECKINS_END))

    def at(self, day: date, clock: time, zone: tzinfo) -> datetime:
        """Move the clock to `clock` on `day` in `zone`; returns the new now."""
        self.clock.set(datetime.combine(day, clock, tzinfo=zone))
        return self.clock()

    def local(self, day: date, clock: str, narration: str) -> None:
        """Move the clock to `clock` in the owner's zone on `day` and say what happens."""
        hour, minute = map(int, clock.split(":"))
        self.at(day, time(hour, minute), self.zone)
        self.out.step(self._when(), _(narration))

    async def morning_pull(self, day: date, *, datasets: bool = False) -> None:
        """The exports gain the days up to `day` and the morning pull reads them, quietly
        (bot/demo.py shows a pull): the KPI export's metrics, and with `datasets` the dataset
        metrics too (~1 s, so only before a digest shows them; nothing evaluates them between,
        and the pull recomputes the days it missed)."""
        self.at(day, PULL_AT, UTC)
        carry_exports(self.folder, day)
        await self.engine.pull(
            [
                metric.key
                for metric in self.engine.context.catalog
                if (datasets and metric.measure is not None)
                or (isinstance(metric.source, CsvSource) and metric.source.path.name == KPI_EXPORT)
            ]
        )

    async def answer(self, answer: Answer) -> None:
        """The owner sends the form five minutes after the prompt, handled as the form's
        submission is: the answer stored, the goal evaluated, the DM redrawn."""
        self.clock.advance(timedelta(minutes=5))
        answer = _typed(answer)
        self.out.paragraph(
            _("{owner} answers: {answer}").format(owner=f"@{OWNER_NAME}", answer=_said(answer))
        )
        goal_id, checkin_id = await self._open_checkin()
        await record_answer(
            database=self.engine.database,
            team_id=self.team_id,
            checkin_id=checkin_id,
            user_id=OWNER,
            value=answer.value,
            confidence=answer.confidence,
            moved=answer.moved,
            blockers=answer.blockers,
            now=self.clock(),
            catalog=self.engine.context.catalog,
        )
        await self.engine.evaluate_goals(team_id=self.team_id, metric_keys=[CHECKIN_GOAL])
        await self.engine.flush(goal_id)

    async def digest(self, day: date, narration: str) -> None:
        """The digest tick at #growth's digest time posts the digests due."""
        self.at(day, DIGEST_AT, UTC)
        self.out.step(self._when(), _(narration))
        await self.engine.digest_tick()

    async def missed(self, day: date) -> None:
        """Say that the day's check-in was recorded missed, if it was."""
        async with self.engine.database.transaction() as session:
            found = await checkin_store.checkins_between(
                session=session,
                team_id=self.team_id,
                channel_id=self.channel_id,
                first=day,
                last=day,
            )
        if any(checkin.state == CheckinState.MISSED.value for checkin in found):
            self.out.paragraph(_(MISSED), DIM)

    def _when(self) -> str:
        """`Mon 7 Dec, 09:30 in Berlin (08:30 UTC)`: now, as the owner and the server read it."""
        now = self.clock()
        local = now.astimezone(self.zone)
        city = _(CITIES.get(self.zone.key) or self.zone.key.rsplit("/", 1)[-1])
        return _("{day}, {time} in {city} ({utc_time} UTC)").format(
            day=reader_day(local.date()),
            time=f"{local:%H:%M}",
            city=city,
            utc_time=f"{now.astimezone(UTC):%H:%M}",
        )

    async def _open_checkin(self) -> tuple[int, int]:
        """The goal's id and the id of its newest open check-in (the one just asked)."""
        async with self.engine.database.transaction() as session:
            goal = await goal_store.get_goal(
                session=session,
                team_id=self.team_id,
                channel_id=self.channel_id,
                metric_key=CHECKIN_GOAL,
            )
            assert goal is not None
            assert goal.id is not None
            [*_, newest] = await checkin_store.open_checkins(
                session=session, team_id=self.team_id, goal_id=goal.id
            )
        assert newest.id is not None
        return goal.id, newest.id


def carry_exports(folder: Path, through: date) -> None:
    """The sample exports carried on to `through`: the KPI export repeats its last row for each
    new day; the orders and activity move on with the clock, as if dated back from `through`
    (bot/demo.py `materialise`: both have rows on their newest day)."""
    path = folder / KPI_EXPORT
    kpis = pd.read_csv(path, dtype=str, keep_default_na=False)
    last = date.fromisoformat(kpis["day"].iloc[-1])
    days = [last + timedelta(days=n) for n in range(1, (through - last).days + 1)]
    if days:
        repeated = kpis.iloc[[-1] * len(days)].assign(day=[d.isoformat() for d in days])
        pd.concat([kpis, repeated]).to_csv(path, index=False)
    for name in DATASET_FILES:
        path = folder / name
        csv = path.suffix == ".csv"
        frame = (
            pd.read_csv(path, dtype=str, keep_default_na=False) if csv else pd.read_parquet(path)
        )
        at = pd.to_datetime(frame["occurred_at"])
        moved = at + (pd.Timestamp(through) - at.max().normalize())
        if csv:
            frame["occurred_at"] = moved.dt.strftime("%Y-%m-%d %H:%M:%S")
            frame.to_csv(path, index=False)
        else:
            frame["occurred_at"] = moved
            frame.to_parquet(path, index=False)


def _typed(answer: Answer) -> Answer:
    """The answer with its notes as the owner types them in the demo's language."""
    return replace(
        answer,
        moved=_(answer.moved) if answer.moved else None,
        blockers=_(answer.blockers) if answer.blockers else None,
    )


def _said(answer: Answer) -> str:
    """`on track; what moved it: “…”; blockers: “…”.`: the form as sent."""
    confidence, moved, blockers = confidence_label(answer.confidence), answer.moved, answer.blockers
    if moved and blockers:
        said = _("{confidence}; what moved it: “{moved}”; blockers: “{blockers}”.")
    elif moved:
        said = _("{confidence}; what moved it: “{moved}”.")
    elif blockers:
        said = _("{confidence}; blockers: “{blockers}”.")
    else:
        said = _("{confidence}.")
    return said.format(confidence=confidence, moved=moved, blockers=blockers)
