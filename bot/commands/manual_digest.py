"""`/goal digest`: at most one posted digest per channel in MANUAL_DIGEST_MINUTES, in every
process, claimed like the scheduled ones (storage/claims.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.render import blocks as render
from bot.services import Services
from jobs.engine import Engine
from jobs.errors import CommandLine, GoalpulseError
from storage import claims
from storage.models import RunClaim

# `/goal digest` posts a channel's digest at most once in this many minutes (preview: any time).
MANUAL_DIGEST_MINUTES = 60
MANUAL_DIGEST_KIND = "digest_now"


def _manual_digest_key(team_id: str, channel_id: str, window: int) -> str:
    start = datetime.fromtimestamp(window * MANUAL_DIGEST_MINUTES * 60, UTC)
    return f"{MANUAL_DIGEST_KIND}:{team_id}:{channel_id}:{start:%Y-%m-%dT%H:%M}"


async def claim_manual_digest(
    services: Services, engine: Engine, *, team_id: str, channel_id: str, timezone: str
) -> str:
    """Claim this window's `/goal digest` for the channel (one per window, in every process),
    refused while a post from the last MANUAL_DIGEST_MINUTES (this window's or the last's)
    stands; returns the run key."""
    now, every = services.clock(), timedelta(minutes=MANUAL_DIGEST_MINUTES)
    window = int(now.timestamp() // every.total_seconds())
    run_key = _manual_digest_key(team_id, channel_id, window)
    previous_key = _manual_digest_key(team_id, channel_id, window - 1)
    async with services.database.transaction() as session:
        previous = await claims.get_claim(session=session, run_key=previous_key)
        if previous is not None and _stands(previous, now) and previous.claimed_at > now - every:
            raise _too_soon(previous, timezone)
        claimed = await claims.claim(
            session=session,
            run_key=run_key,
            kind=MANUAL_DIGEST_KIND,
            team_id=team_id,
            worker=engine.worker,
            now=now,
            lease_until=now + engine.lease,
        )
        if not claimed:
            current = await claims.get_claim(session=session, run_key=run_key)
            assert current is not None, "a claim that was refused exists"
            raise _too_soon(current, timezone)
    return run_key


def _stands(claim: RunClaim, now: datetime) -> bool:
    """Posted, or being posted; a released claim (the post failed) does not count."""
    return claim.done_at is not None or claim.lease_until > now


def _too_soon(claim: RunClaim, timezone: str) -> GoalpulseError:
    """The refusal of a `/goal digest` within MANUAL_DIGEST_MINUTES of `claim`'s post."""
    text = render.digest_too_soon_text(
        posted_at=claim.claimed_at,
        by=claim.result.get("by"),
        sending=claim.done_at is None,
        next_at=claim.claimed_at + timedelta(minutes=MANUAL_DIGEST_MINUTES),
        timezone=timezone,
        minutes=MANUAL_DIGEST_MINUTES,
    )
    return GoalpulseError(text, example=CommandLine("digest", "preview"))
