"""Home tabs refreshed after evaluations: when a goal's band changes, its owner's and lead's
pages are published again, at most once a minute per person (jobs/home/debounce.py).

A refresh asked for within the minute waits for its end; more asked for meanwhile are merged
into it. The wait is a loop timer, not a task, so no work looks pending while nothing is due;
it looks at the clock at least every `poll` seconds, so a clock a test turns is followed too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.home.publish import publish_home
from bot.services import Services
from jobs.home.debounce import Debounce
from jobs.home.model import BandChange
from storage import escalation as escalation_store

Person = tuple[str, str]  # (team id, user id)
# A workspace's client with its token; None when it has no installation (bot/oauth/).
TeamClients = Callable[[str], Awaitable[AsyncWebClient | None]]


class HomeRefresher:
    """Turns band changes into debounced Home tab publishes, each a tracked background task."""

    def __init__(
        self,
        *,
        services: Services,
        clients: TeamClients,
        interval: timedelta = timedelta(minutes=1),
        poll: float = 1.0,
    ) -> None:
        self.services = services
        self.clients = clients
        self.poll = poll
        self._debounce: Debounce[Person] = Debounce(interval)
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    def bands_changed(self, changes: Sequence[BandChange]) -> None:
        """The engine's hook (BandsChanged in jobs/home/model.py): find the people, then refresh."""
        if not self._closed:
            self.services.background.spawn(self._refresh_people_of(list(changes)))

    async def _refresh_people_of(self, changes: list[BandChange]) -> None:
        async with self.services.database.transaction() as session:
            goals = await escalation_store.goals_by_id(
                session=session, goal_ids=sorted({change.goal_id for change in changes})
            )
        people = {
            (goal.team_id, user)
            for goal in goals.values()
            for user in (goal.owner_id, goal.lead_id)
            if user
        }
        for person in sorted(people):
            self.request(person)

    def request(self, person: Person) -> None:
        """Publish now if this person's page was not refreshed within the interval; else once
        at its end."""
        if self._closed:
            return
        if self._debounce.request(person, self.services.clock()) is None:
            self._publish(person)
        else:
            self._arm()

    def close(self) -> None:
        """No more refreshes; a pending one is dropped (the next opening draws the page)."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _publish(self, person: Person) -> None:
        self.services.background.spawn(self._publish_with_token(*person))

    async def _publish_with_token(self, team_id: str, user_id: str) -> None:
        client = await self.clients(team_id)
        if client is not None:  # no installation: nobody there to show a page to
            await publish_home(self.services, client, team_id, user_id)

    def _arm(self) -> None:
        due = self._debounce.next_due()
        if self._timer is not None or due is None or self._closed:
            return
        wait = (due - self.services.clock()).total_seconds()
        self._timer = asyncio.get_running_loop().call_later(
            min(max(wait, 0.0), self.poll), self._fire
        )

    def _fire(self) -> None:
        self._timer = None
        now = self.services.clock()
        for person in self._debounce.due(now):
            self._publish(person)
        self._debounce.forget_before(now - self._debounce.interval)
        self._arm()
