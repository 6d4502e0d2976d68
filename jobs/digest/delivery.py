"""Delivering one workspace's due digests together: claimed in two statements, built with one
set of reads (jobs/digest/build.py `build_digests`), each then posted and its claim completed on
its own, so a process that dies mid-way leaves at most the digests in flight to be taken over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobs.digest.build import DueDigest, build_digests
from jobs.digest.model import ChannelDigest
from jobs.outbox.checkin_summaries import queue_weekly_summary, week_claim_keys
from storage import claims
from storage.models import RunClaim

if TYPE_CHECKING:
    from jobs.engine import Engine


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one due digest in a tick."""

    run_key: str
    status: str  # "sent", "skipped" (someone else has it), "failed" (will be retried), "empty"
    ts: str | None = None
    error: str | None = None


async def deliver_workspace(
    engine: Engine, items: Sequence[DueDigest], *, evaluated: bool = False
) -> list[DigestOutcome]:
    """Claim, build and post these digests of one workspace (in `items`' order); `evaluated`:
    their goals were just evaluated (by the tick, for a fan-out). A failure to build fails
    every digest claimed here, each retried as `Engine._digest_failed` decides."""
    if not items:
        return []
    context = engine.context
    team_id = items[0].team_id
    now = context.clock()
    async with context.database.transaction() as session:
        attempts = await claims.claim_attempts(
            session=session,
            run_keys=[item.run_key for item in items],
            kind="digest",
            team_id=team_id,
            worker=context.worker,
            now=now,
            lease_until=now + engine.timing.lease,
        )
    outcomes = {item.run_key: DigestOutcome(item.run_key, "skipped") for item in items}
    mine = [item for item in items if item.run_key in attempts]
    try:
        digests, known = await _built(engine, mine, evaluated=evaluated)
    except Exception as exc:  # the database, or a bug: each claimed digest is retried
        for item in mine:
            outcomes[item.run_key] = await engine._digest_failed(
                item, exc, attempt=attempts[item.run_key]
            )
        return [outcomes[item.run_key] for item in items]
    # One at a time: a process killed mid-way has posted, unrecorded, at most one per batch
    # (the workspace's posting rate paces them anyway).
    for item in mine:
        posted = await _post(
            engine, item, digests.get(item.channel_id), attempts[item.run_key], known
        )
        outcomes[item.run_key] = posted
    return [outcomes[item.run_key] for item in items]


async def _built(
    engine: Engine, items: Sequence[DueDigest], *, evaluated: bool
) -> tuple[dict[str, ChannelDigest], dict[str, RunClaim]]:
    """The digests of `items` as of now (their channels evaluated first unless `evaluated`),
    and the week's digest claims their weekly-summary check reads."""
    if not items:
        return {}, {}
    team_id = items[0].team_id
    day = engine.today()
    if not evaluated:
        for item in items:
            await engine.evaluate_goals(team_id=team_id, channel_id=item.channel_id)
    async with engine.context.database.transaction() as session:
        digests = await build_digests(
            session=session,
            catalog=engine.context.catalog,
            team_id=team_id,
            wanted=[(item.channel_id, item.local_date, item.timezone) for item in items],
            day=day,
            policy=engine.policy,
            now=engine.context.clock(),
        )
        keys = [
            key
            for item in items
            for key in week_claim_keys(team_id, item.channel_id, item.local_date)
        ]
        known = await claims.claims_of(session=session, run_keys=keys)
    return digests, known


async def _post(
    engine: Engine,
    item: DueDigest,
    digest: ChannelDigest | None,
    attempt: int,
    known: Mapping[str, RunClaim],
) -> DigestOutcome:
    """Post one claimed digest and record the message's ts (None: the channel had no goals)."""
    context = engine.context
    try:
        messenger = context.messenger_for(item.team_id)
        ts = None if digest is None else await messenger.publish_digest(digest)
    except Exception as exc:  # Slack refused or is down, or a bug
        return await engine._digest_failed(item, exc, attempt=attempt)
    async with context.database.transaction() as session:
        await claims.complete(
            session=session,
            run_key=item.run_key,
            worker=context.worker,
            now=context.clock(),
            result={"ts": ts, "channel": item.channel_id},
        )
        if ts:  # the week's first digest brings last week's check-ins into its thread
            await queue_weekly_summary(
                session=session,
                team_id=item.team_id,
                channel_id=item.channel_id,
                local_date=item.local_date,
                now=context.clock(),
                known=known,
            )
    if digest is not None and ts:
        # The chart (~0.3 s of CPU) follows in the digest's thread once the claim is done.
        messenger.attach_chart(digest, ts)
    return DigestOutcome(item.run_key, "sent" if ts else "empty", ts=ts)
