"""The demo's second half: four days of one slipping goal, from its first alert to the overdue
close-out. The demo's clock moves on; the real engine pulls, evaluates and runs its timers, and
the terminal messenger prints what Slack would get."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from bot.demo_messenger import SettableClock, TerminalMessenger
from bot.render.figures import reader_day
from bot.render.terminal import DIM
from jobs.engine import Engine
from jobs.escalation import interactions
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.goals.service import Actor
from jobs.i18n import N_, _, ngettext
from storage import escalation as escalation_store
from storage import goals as goal_store

STORY_GOAL = "conversion_rate"  # the goal whose escalation the demo follows

# What happens at each step of the story, in the order the clock reaches them.
STORY_INTRO = N_(
    "The digests show Conversion rate still green, but down 3 days in a row. Follow it for "
    "four days: the demo moves its clock on, and the real engine pulls, evaluates and runs its "
    "timers. Every Slack message about it is printed under a line saying where it went. Times "
    "are UTC; @li (the lead) and @wei (the CEO) read their DMs in Berlin."
)
OPENED = N_(
    "The timers tick (every minute in production) sends what the 08:00 pull queued. Three "
    "adverse days in a row are enough to open a 72-hour remediation thread in #growth: a parent "
    "message and, in its thread, the checklist."
)
ORANGE = N_(
    "A checkout bug shipped at 09:30. The hourly pull reads today's conversion so far: 2.7%, "
    "22.9% under target, so orange. The lead, @li, is mentioned in the thread and gets a DM."
)
RED = N_(
    "By 15:00 the hourly pull reads 2.4%, 31.4% under target: red. The thread notes the change "
    "and mentions the CEO, and @wei gets a DM too."
)
REMINDER_24H = N_(
    "The morning pull finds conversion still sliding, and red. 24 hours after the thread "
    "opened, a reminder mentions the owners of unchecked items."
)
REPEAT = N_(
    "@li has not answered the red DM for 24 hours, so it comes again (at most 5 times); the "
    "CEO's too. (The orange DM's repeat was dropped: the red one replaced it.)"
)
ACKNOWLEDGE = N_(
    "@li clicks [ Acknowledge ]: the repeats stop, the CEO's too, but the deadline stands. The "
    "thread is told, and both DMs are redrawn without their buttons."
)
# {item}: the checklist item ticked, its title as the checklist shows it.
TICK = N_("@ana ticks “{item}”: the checklist message is redrawn in place.")
REMINDER_48H = N_("Still red. 48 hours after the thread opened: the second reminder.")
CLOSE_OUT = N_(
    "72 hours are up with two items open and conversion still red. The close-out says overdue "
    "and escalates to the lead and, as the goal is red, to the CEO by DM, and the checklist and "
    "the parent message are marked closed."
)
STORY_END = N_(
    "Had conversion recovered, the thread would have said so and the parent message would have "
    "been edited. Had every item been done and the metric recovered, the close-out would have "
    "said resolved; [ Resolve ] closes a remediation early."
)


class Narrator(Protocol):
    """Where the story is told (the demo's transcript)."""

    def heading(self, title: str) -> None: ...

    def paragraph(self, text: str, style: str = "") -> None: ...

    def step(self, when: str, narration: str) -> None: ...


async def _admin() -> bool:
    return True  # everyone is a workspace admin in the demo


class Story:
    """Four days of one slipping goal: the clock moves on and the real engine does the rest."""

    def __init__(
        self,
        engine: Engine,
        messenger: TerminalMessenger,
        clock: SettableClock,
        out: Narrator,
        folder: Path,
        *,
        team_id: str,
        channel_id: str,
    ) -> None:
        self.engine, self.messenger, self.clock = engine, messenger, clock
        self.out, self.folder = out, folder
        self.team_id, self.channel_id = team_id, channel_id
        self.day1 = clock().replace(hour=0, minute=0)

    async def run(self) -> None:
        self.out.heading(_("Escalation: {key} slips").format(key=STORY_GOAL))
        self.out.paragraph(_(STORY_INTRO))
        await self.at(0, "08:01", OPENED)
        await self.at(0, "11:00", ORANGE, conversion=0.027)
        await self.at(0, "15:00", RED, conversion=0.024)
        await self.at(1, "08:00", REMINDER_24H, conversion=0.0238)
        await self.at(1, "15:00", REPEAT)
        await self.at(1, "15:05", ACKNOWLEDGE)
        await self.acknowledge("U0LI")
        await self.at(1, "16:00", _(TICK).format(item=_(DEFAULT_ITEMS[0])))
        await self.tick_item("U0ANA", "behaviour-heatmap-review")
        await self.at(2, "08:00", REMINDER_48H, conversion=0.0236)
        await self.at(3, "08:00", CLOSE_OUT, conversion=0.0233)
        self.clock.advance(timedelta(minutes=1))  # the close-out's DMs and redraws follow
        await self.engine.timers_tick()
        self.out.paragraph(_(STORY_END))
        hidden = self.messenger.hidden
        self.out.paragraph(
            ngettext(
                "Not shown: {count} message about {names}, which was already orange or red at "
                "the morning pull and went through the same steps.",
                "Not shown: {count} messages about {names}, which were already orange or red at "
                "the morning pull and went through the same steps.",
                hidden.total(),
            ).format(count=hidden.total(), names=_names(sorted(hidden))),
            DIM,
        )
        if notices := self.messenger.hidden_notices:
            self.out.paragraph(
                ngettext(
                    "Nor the DM telling goal owners that the source of {names} is failing.",
                    "Nor the {count} DMs telling goal owners that the source of {names} is "
                    "failing.",
                    notices.total(),
                ).format(count=notices.total(), names=_names(sorted(notices))),
                DIM,
            )

    async def at(
        self, day: int, when: str, narration: str, *, conversion: float | None = None
    ) -> None:
        """Move the clock and say what happens; then the hourly pull reads `conversion` as
        today's value, if given, and the timers tick runs, as in production."""
        hour, minute = map(int, when.split(":"))
        self.clock.set(self.day1 + timedelta(days=day, hours=hour, minutes=minute))
        now = self.clock()
        when = _("Day {number} · {day}, {time} UTC").format(
            number=day + 1, day=reader_day(now.date()), time=f"{now:%H:%M}"
        )
        self.out.step(when, _(narration))
        if conversion is not None:
            self._export(conversion)
            await self.engine.pull([STORY_GOAL])
        await self.engine.timers_tick()

    def _export(self, value: float) -> None:
        """Today's conversion in the CSV export: a new row on a new day (the other columns
        copied from the day before: only conversion is pulled)."""
        path, today = self.folder / "daily_kpis.csv", self.engine.today().isoformat()
        with path.open(encoding="utf-8", newline="") as src:
            rows = list(csv.DictReader(src))
        if rows[-1]["day"] != today:
            rows.append({**rows[-1], "day": today})
        rows[-1][STORY_GOAL] = f"{value:.4f}"
        with path.open("w", encoding="utf-8", newline="") as dst:
            writer = csv.DictWriter(dst, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    async def acknowledge(self, user_id: str) -> None:
        """A click on [ Acknowledge ] in the user's latest DM, as bot/actions handles it."""
        goal_id, episode_id, _ = await self._ids()
        await interactions.acknowledge(
            database=self.engine.database,
            team_id=self.team_id,
            episode_id=episode_id,
            actor=Actor(user_id, _admin),
            now=self.clock(),
        )
        await self.engine.flush(goal_id)  # the thread note and everyone's DM, redrawn

    async def tick_item(self, user_id: str, item_key: str) -> None:
        """A tick on one box of the checklist."""
        goal_id, _, remediation_id = await self._ids()
        await interactions.set_checked(
            database=self.engine.database,
            team_id=self.team_id,
            remediation_id=remediation_id,
            item_key=item_key,
            done=True,
            actor=Actor(user_id, _admin),
            now=self.clock(),
        )
        await self.engine.flush(goal_id)

    async def _ids(self) -> tuple[int, int, int]:
        """The story goal's id, its open episode's and its remediation's."""
        async with self.engine.database.transaction() as session:
            goals = await goal_store.list_goals(
                session=session, team_id=self.team_id, channel_id=self.channel_id
            )
            goal_id = next(goal.id for goal in goals if goal.metric_key == STORY_GOAL) or 0
            episodes = await escalation_store.open_episodes(session=session, goal_ids=[goal_id])
            latest = await escalation_store.latest_remediations(session=session, goal_ids=[goal_id])
        return goal_id, episodes[goal_id].id or 0, latest[goal_id].id or 0


def _names(keys: Sequence[str]) -> str:
    """`complaint_rate, dau and nps` (zh-CN `complaint_rate、dau 和 nps`)."""
    if len(keys) < 2:
        return "".join(keys)
    return _("{names} and {last}").format(names=_(", ").join(keys[:-1]), last=keys[-1])
