"""Between stored rows and the pure state machines, and the run keys of every queued message.

Run keys (docs/architecture.md, "Outbox and run claims"): the same decision taken by two
processes yields the same key, so the outbox keeps one row and the message goes out once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobs.customers.measures import MEASURES
from jobs.escalation.episode import Episode, policy_from_dict
from jobs.escalation.remediation import ChecklistItem, Remediation
from storage.models import Band, EpisodeRow, OutboxMessage, RemediationRow

REMINDER_OFFSETS = {"24h": timedelta(hours=24), "48h": timedelta(hours=48)}
HEATMAP = "remediation_heatmap"


def episode_from_row(row: EpisodeRow) -> Episode:
    """The pure episode a stored row describes."""
    return Episode(
        goal_id=row.goal_id,
        opened_at=row.opened_at,
        current_band=Band(row.current_band),
        peak_band=Band(row.peak_band),
        policy=policy_from_dict(row.policy),
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        snoozed_until=row.snoozed_until,
        good_streak=row.good_streak,
        closed_at=row.closed_at,
    )


def episode_values(episode: Episode) -> dict[str, Any]:
    """The columns a step may change."""
    return {
        "current_band": episode.current_band.value,
        "peak_band": episode.peak_band.value,
        "acknowledged_by": episode.acknowledged_by,
        "acknowledged_at": episode.acknowledged_at,
        "snoozed_until": episode.snoozed_until,
        "good_streak": episode.good_streak,
        "closed_at": episode.closed_at,
    }


def items_to_json(items: tuple[ChecklistItem, ...]) -> list[dict[str, Any]]:
    """Checklist items as stored."""
    return [
        {
            "key": item.key,
            "title": item.title,
            "owner_id": item.owner_id,
            "done_by": item.done_by,
            "done_at": item.done_at.isoformat() if item.done_at else None,
        }
        for item in items
    ]


def items_from_json(items: list[dict[str, Any]]) -> tuple[ChecklistItem, ...]:
    """Stored checklist items back as values."""
    return tuple(
        ChecklistItem(
            key=str(item["key"]),
            title=str(item["title"]),
            owner_id=str(item["owner_id"]),
            done_by=item.get("done_by"),
            done_at=datetime.fromisoformat(item["done_at"]) if item.get("done_at") else None,
        )
        for item in items
    )


def remediation_from_row(row: RemediationRow) -> Remediation:
    """The pure remediation a stored row describes."""
    return Remediation(
        goal_id=str(row.goal_id),
        trigger=row.trigger,  # type: ignore[arg-type]  # written from the same Literal
        opened_at=row.opened_at,
        due_at=row.due_at,
        items=items_from_json(row.items),
        owner_id=row.owner_id,
        lead_id=row.lead_id,
        status=row.status,  # type: ignore[arg-type]
        closed_at=row.closed_at,
        closed_by=row.closed_by,
    )


def _message(
    kind: str,
    run_key: str,
    *,
    team_id: str,
    goal_id: int,
    due_at: datetime,
    now: datetime,
    episode_id: int | None = None,
    remediation_id: int | None = None,
    recipient_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        run_key=run_key,
        team_id=team_id,
        goal_id=goal_id,
        kind=kind,
        episode_id=episode_id,
        remediation_id=remediation_id,
        recipient_id=recipient_id,
        payload=payload or {},
        due_at=due_at,
        created_at=now,
        result={},
    )


def remediation_messages(row: RemediationRow, *, now: datetime) -> list[OutboxMessage]:
    """A new remediation's parent, checklist, +24h/+48h reminders and 72h close-out."""
    assert row.id is not None
    rem_id = row.id

    def timer(
        kind: str, run_key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> OutboxMessage:
        return _message(
            kind,
            run_key,
            team_id=row.team_id,
            goal_id=row.goal_id,
            remediation_id=rem_id,
            due_at=due_at,
            now=now,
            payload=payload,
        )

    return [
        timer("parent", f"remediation:{rem_id}:parent", now),
        timer("checklist", f"remediation:{rem_id}:checklist", now),
        *(
            timer("reminder", f"reminder:{rem_id}:{kind}", row.opened_at + offset, {"kind": kind})
            for kind, offset in REMINDER_OFFSETS.items()
        ),
        timer("close_out", f"close_out:{rem_id}", row.due_at),
    ]


def heatmap_messages(
    row: RemediationRow, *, measure: str | None, now: datetime
) -> list[OutboxMessage]:
    """The customer heatmap for a new remediation's thread, when the goal's metric is a
    customer-grain measure (jobs/customers/measures.py); nothing for any other metric."""
    assert row.id is not None
    known = MEASURES.get(measure) if measure is not None else None
    if known is None or known.grain != "customer":
        return []
    return [
        _message(
            HEATMAP,
            f"remediation:{row.id}:heatmap",
            team_id=row.team_id,
            goal_id=row.goal_id,
            remediation_id=row.id,
            due_at=now,
            now=now,
        )
    ]


def pending_timer_keys(remediation_id: int) -> list[str]:
    """The run keys of a remediation's reminders and close-out (cancelled on early resolve)."""
    return [
        *(f"reminder:{remediation_id}:{kind}" for kind in REMINDER_OFFSETS),
        f"close_out:{remediation_id}",
    ]


def ping(
    *,
    team_id: str,
    goal_id: int,
    episode_id: int,
    remediation_id: int | None,
    role: str,
    band: str,
    recipient_id: str,
    reason: str,
    repeat: int,
    due_at: datetime,
    now: datetime,
) -> OutboxMessage:
    """A DM to the lead or the CEO about the episode reaching `band`; `repeat` counts the
    pings before it. One chain of pings per band and recipient."""
    return _message(
        "dm",
        f"ping:{episode_id}:{band}:{recipient_id}:{repeat}",
        team_id=team_id,
        goal_id=goal_id,
        episode_id=episode_id,
        remediation_id=remediation_id,
        recipient_id=recipient_id,
        payload={"role": role, "band": band, "reason": reason, "repeat": repeat},
        due_at=due_at,
        now=now,
    )


def overdue_dm(
    row: RemediationRow, *, role: str, recipient_id: str, now: datetime
) -> OutboxMessage:
    """The close-out's escalation of an overdue remediation to the lead or the CEO."""
    assert row.id is not None
    return _message(
        "dm",
        f"overdue:{row.id}:{role}:{recipient_id}",
        team_id=row.team_id,
        goal_id=row.goal_id,
        remediation_id=row.id,
        recipient_id=recipient_id,
        payload={"role": role, "reason": "overdue", "repeat": 0},
        due_at=now,
        now=now,
    )


def note(
    *,
    team_id: str,
    goal_id: int,
    remediation_id: int | None,
    run_key: str,
    payload: dict[str, Any],
    now: datetime,
    episode_id: int | None = None,
) -> OutboxMessage:
    """A note in the remediation's thread; `payload["note"]` names which."""
    return _message(
        "note",
        run_key,
        team_id=team_id,
        goal_id=goal_id,
        episode_id=episode_id,
        remediation_id=remediation_id,
        payload=payload,
        due_at=now,
        now=now,
    )


def redraw(
    *, team_id: str, goal_id: int, remediation_id: int, what: str, key: str, now: datetime
) -> OutboxMessage:
    """Redraw the checklist (`checklist_update`) or the parent (`parent_update`) in place."""
    return _message(
        what,
        f"{what}:{remediation_id}:{key}",
        team_id=team_id,
        goal_id=goal_id,
        remediation_id=remediation_id,
        due_at=now,
        now=now,
    )
