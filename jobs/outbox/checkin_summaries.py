"""The weekly check-in summary: queued when a channel's first digest of a new week is
published, posted in the thread of the previous week's first digest.

Queued in the transaction that records the digest as posted (jobs/engine.py `deliver`), only
when no digest of the channel went out earlier in the same local ISO week and the previous
week has an answered or missed check-in in the channel. One row per channel and week, keyed

    checkin-summary:{team}:{channel}:{ISO week summarised, e.g. 2026-W48}

It hangs on no goal (goal_id 0), so the sender routes it here before anything looks a goal up
(jobs/outbox/sender.py). The summary is read fresh when it is sent (jobs/checkins/summary.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.summary import iso_week, load_summary, week_of
from jobs.context import EngineContext
from jobs.digest.build import digest_run_key
from jobs.outbox.outcomes import Done, Outcome, Skip
from storage import checkins as checkin_store
from storage import claims, outbox
from storage.models import CheckinState, OutboxMessage, RunClaim

CHECKIN_SUMMARY = "checkin_summary"
KINDS = frozenset({CHECKIN_SUMMARY})
_TOLD = (CheckinState.ANSWERED.value, CheckinState.MISSED.value)


def summary_run_key(team_id: str, channel_id: str, week: str) -> str:
    """The summary's run key: one per channel and week summarised."""
    return f"checkin-summary:{team_id}:{channel_id}:{week}"


def _weeks(local_date: date) -> tuple[list[date], list[date]]:
    """The local dates before `local_date` in its ISO week, and the previous week's."""
    monday, _ = week_of(local_date)
    earlier = [monday + timedelta(days=n) for n in range((local_date - monday).days)]
    return earlier, [monday - timedelta(days=7 - n) for n in range(7)]


def week_claim_keys(team_id: str, channel_id: str, local_date: date) -> list[str]:
    """The digest run keys `queue_weekly_summary` reads for the digest of `local_date`."""
    earlier, previous = _weeks(local_date)
    return [digest_run_key(team_id, channel_id, day) for day in earlier + previous]


async def queue_weekly_summary(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    local_date: date,
    now: datetime,
    known: Mapping[str, RunClaim] | None = None,
) -> bool:
    """Queue the previous week's summary if the digest of `local_date` just published is the
    channel's first of its week and that week had check-ins; True when a row was added.

    `known`: the claims of `week_claim_keys` read beforehand (one query for many channels);
    a key absent from it was never claimed."""
    earlier, previous = _weeks(local_date)
    if await _first_posted(session, team_id, channel_id, earlier, known) is not None:
        return False
    first, last = previous[0], previous[-1]
    checkins = await checkin_store.checkins_between(
        session=session, team_id=team_id, channel_id=channel_id, first=first, last=last
    )
    if not any(checkin.state in _TOLD for checkin in checkins):
        return False
    thread_ts = await _first_posted(session, team_id, channel_id, previous, known)
    week = iso_week(first)
    row = OutboxMessage(
        run_key=summary_run_key(team_id, channel_id, week),
        team_id=team_id,
        goal_id=0,
        kind=CHECKIN_SUMMARY,
        payload={
            "channel_id": channel_id,
            "week": week,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "thread_ts": thread_ts,
        },
        due_at=now,
        created_at=now,
        result={},
    )
    return await outbox.enqueue(session=session, messages=[row]) == 1


async def _first_posted(
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    days: list[date],
    known: Mapping[str, RunClaim] | None,
) -> str | None:
    """The ts of the channel's first digest posted on one of these local dates; None if none."""
    for day in days:
        run_key = digest_run_key(team_id, channel_id, day)
        claim = (
            known.get(run_key)
            if known is not None
            else await claims.get_claim(session=session, run_key=run_key)
        )
        if claim is not None and claim.done_at is not None and claim.result.get("ts"):
            return str(claim.result["ts"])
    return None


@dataclass
class CheckinSummaries:
    """Posts weekly check-in summaries through the messenger."""

    context: EngineContext

    async def handle(self, message: OutboxMessage) -> Outcome:
        """Post the week's summary in the previous week's first digest's thread (or the
        channel); Skip when no check-in is left to show."""
        payload = message.payload
        channel_id = str(payload["channel_id"])
        async with self.context.database.transaction() as session:
            summary = await load_summary(
                session=session,
                catalog=self.context.catalog,
                team_id=message.team_id,
                channel_id=channel_id,
                first=date.fromisoformat(payload["first"]),
                last=date.fromisoformat(payload["last"]),
            )
        if summary is None:
            return Skip("no check-ins to summarise")
        thread_ts = payload.get("thread_ts")
        messenger = self.context.messenger_for(message.team_id)
        ts = await messenger.post(channel_id, summary, thread_ts=thread_ts)
        return Done({"ts": ts, "channel": channel_id, "thread_ts": thread_ts})
