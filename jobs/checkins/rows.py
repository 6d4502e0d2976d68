"""Stored check-ins ↔ the pure prompt (jobs/checkins/prompt.py), and the outbox rows a check-in
queues: their kinds and deterministic run keys, so two processes queue each message once.

    checkin:{id}:prompt | checkin:{id}:reminder | checkin:{id}:close   queued when asked
    checkin:{id}:answered:v{version}                                  queued by each answer
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobs.checkins.cadence import Cadence, QuietHours, parse_clock
from jobs.checkins.prompt import Prompt, PromptTiming, close_due_at, reminder_due_at
from storage.models import Checkin, OutboxMessage

PROMPT = "checkin_prompt"
REMINDER = "checkin_reminder"
CLOSE = "checkin_close"
ANSWERED = "checkin_answered"
KINDS = frozenset({PROMPT, REMINDER, CLOSE, ANSWERED})
# The key the cadence's own setting time is stored under, beside Cadence.to_dict().
SET_AT = "set_at"


def prompt_of(row: Checkin) -> Prompt:
    """The stored check-in as the pure machine's prompt."""
    assert row.asked_at is not None, "an asked check-in has asked_at"
    return Prompt(state=row.state, asked_at=row.asked_at)  # type: ignore[arg-type]


def stored_cadence(data: dict[str, Any] | None) -> tuple[Cadence, datetime | None] | None:
    """A goal's stored cadence and when it was set (None if that was not stored); None when it
    has no cadence, or one this version cannot read."""
    if not data:
        return None
    fields = {key: value for key, value in data.items() if key != SET_AT}
    try:
        cadence = Cadence.from_dict(fields)
        set_at = datetime.fromisoformat(str(data[SET_AT])) if data.get(SET_AT) else None
    except ValueError:
        return None
    if set_at is not None and set_at.utcoffset() is None:
        return cadence, None
    return cadence, set_at


def timing_payload(timing: PromptTiming, quiet: QuietHours) -> dict[str, Any]:
    """The timing and quiet hours a check-in was asked with, carried by its rows so each
    handler applies the same ones."""
    return {
        "remind_after": timing.remind_after.total_seconds(),
        "close_after": timing.close_after.total_seconds(),
        "quiet": [quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")],
    }


def timing_of(payload: dict[str, Any]) -> PromptTiming:
    """The timing a row carries; the defaults for a row without one."""
    if "remind_after" not in payload or "close_after" not in payload:
        return PromptTiming()
    return PromptTiming(
        remind_after=timedelta(seconds=float(payload["remind_after"])),
        close_after=timedelta(seconds=float(payload["close_after"])),
    )


def quiet_of(payload: dict[str, Any]) -> QuietHours:
    """The quiet hours a row carries; the defaults for a row without them."""
    quiet = payload.get("quiet")
    if not isinstance(quiet, list) or len(quiet) != 2:  # start and end
        return QuietHours()
    return QuietHours(start=parse_clock(quiet[0]), end=parse_clock(quiet[1]))


def asked_rows(
    *,
    checkin_id: int,
    team_id: str,
    goal_id: int,
    owner_id: str,
    prompt: Prompt,
    timing: PromptTiming,
    quiet: QuietHours,
    now: datetime,
) -> list[OutboxMessage]:
    """The prompt (at asked_at), its one reminder and its close, queued together when asked."""
    payload = {"checkin_id": checkin_id, **timing_payload(timing, quiet)}
    due = {
        PROMPT: prompt.asked_at,
        REMINDER: reminder_due_at(prompt, timing),
        CLOSE: close_due_at(prompt, timing),
    }
    return [
        OutboxMessage(
            run_key=_key(checkin_id, kind),
            team_id=team_id,
            goal_id=goal_id,
            kind=kind,
            recipient_id=owner_id,
            payload=payload,
            due_at=due_at,
            created_at=now,
            result={},
        )
        for kind, due_at in due.items()
    ]


def answered_row(row: Checkin, *, version: int, now: datetime) -> OutboxMessage:
    """The redraw of the prompt DM saying what was answered; one per stored answer."""
    assert row.id is not None
    return OutboxMessage(
        run_key=f"checkin:{row.id}:answered:v{version}",
        team_id=row.team_id,
        goal_id=row.goal_id,
        kind=ANSWERED,
        recipient_id=row.user_id,
        payload={"checkin_id": row.id},
        due_at=now,
        created_at=now,
        result={},
    )


def asked_keys(checkin_id: int) -> list[str]:
    """The run keys queued when the check-in was asked."""
    return [_key(checkin_id, kind) for kind in (PROMPT, REMINDER, CLOSE)]


def _key(checkin_id: int, kind: str) -> str:
    """`checkin:7:prompt`, `checkin:7:reminder`, `checkin:7:close`."""
    return f"checkin:{checkin_id}:{kind.removeprefix('checkin_')}"
