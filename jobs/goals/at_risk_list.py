"""A goal's at-risk list: the customers behind an at-risk measure (jobs/customers/scored.py) as
a CSV, for the people a goal's customers concern: its lead, its owner or a workspace admin.

Invariants:
- Only customer ids and their scores leave: the CSV's columns are AT_RISK_COLUMNS, nothing else.
- The list is computed in a worker thread with an event loop of its own, so the churn model's
  fit never holds up the bot's loop; reading the orders stops at LIST_SECONDS (a fit under way
  is not interrupted: it takes seconds).
- A failure is one line that names no URL, path or secret (a SourceError only by its kind);
  nothing logged here holds a dataset's location either.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.customers.datasets import Datasets
from jobs.customers.measures import AT_RISK_COLUMNS, AT_RISK_MEASURES
from jobs.deferred import preload
from jobs.errors import Code, NotFoundError, PermissionDeniedError, Person, UsageError, phrase
from jobs.escalation.flow import recipient_for
from jobs.goals.service import Actor, remembering
from jobs.i18n import N_, _
from jobs.metrics.catalog import MetricCatalog
from storage import goals as goal_store
from storage.models import Goal, GoalStatus

if TYPE_CHECKING:
    import pandas as pd

LIST_SECONDS = 60.0
log = logging.getLogger("goalpulse.at_risk")


@dataclass(frozen=True)
class ListRequest:
    """A goal whose at-risk list someone may have: its metric and the measure behind it."""

    goal_id: int
    metric_key: str
    measure: str


@dataclass(frozen=True)
class AtRiskList:
    """The customers at risk on `as_of`, riskiest first (AT_RISK_COLUMNS)."""

    request: ListRequest
    as_of: date
    customers: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.customers)

    @property
    def file_name(self) -> str:
        """`<metric>-at-risk-<date>.csv`."""
        return f"{self.request.metric_key}-at-risk-{self.as_of.isoformat()}.csv"

    def csv(self) -> bytes:
        """The list as UTF-8 CSV: a header of AT_RISK_COLUMNS, one row per customer."""
        text = self.customers.to_csv(
            index=False, columns=list(AT_RISK_COLUMNS), lineterminator="\n"
        )
        return text.encode("utf-8")


class ListUnavailable(Exception):
    """The list could not be made; `reason` is one line, safe to show the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def at_risk_measure(catalog: MetricCatalog, metric_key: str) -> str | None:
    """The at-risk measure (AT_RISK_MEASURES) a metric is, else None."""
    metric = catalog.get(metric_key)
    measure = metric.measure if metric is not None else None
    return measure if measure in AT_RISK_MEASURES else None


async def list_request(
    *,
    session: AsyncSession,
    catalog: MetricCatalog,
    team_id: str,
    channel_id: str | None,
    goal_id: int,
    actor: Actor,
) -> ListRequest:
    """The goal's at-risk list request, once `actor` may have it: the goal's lead (else the
    channel's, as escalations find it), its owner or a workspace admin. Changes nothing."""
    goal = await goal_store.goal_by_id(session=session, team_id=team_id, goal_id=goal_id)
    if goal is None or goal.id is None or channel_id not in (None, goal.channel_id):
        raise NotFoundError(_("That goal is not in this channel any more; no list was made."))
    key = Code(goal.metric_key)
    if goal.status == GoalStatus.REMOVED:
        raise NotFoundError(*phrase(_("The {key} goal was removed; no list was made."), key=key))
    measure = at_risk_measure(catalog, goal.metric_key)
    if measure is None:
        raise UsageError(
            *phrase(_("The {key} goal does not count customers at risk: no list."), key=key)
        )
    await _require_reader(session, goal, remembering(actor))
    return ListRequest(goal_id=goal.id, metric_key=goal.metric_key, measure=measure)


async def _require_reader(session: AsyncSession, goal: Goal, actor: Actor) -> None:
    """The list names customers: only the goal's lead, its owner or an admin may have it."""
    lead = await recipient_for(session, goal, "lead")
    if actor.user_id in (lead, goal.owner_id) or await actor.is_admin():
        return
    raise PermissionDeniedError(
        *phrase(
            _(_READERS[bool(lead), bool(goal.owner_id)]),
            key=Code(goal.metric_key),
            lead=Person(lead) if lead else "",
            owner=Person(goal.owner_id) if goal.owner_id else "",
        )
    )


# Who may have the list, keyed by (the goal has a lead, it has an owner): one whole sentence each.
_READERS = {
    (True, True): N_(
        "The list of customers at risk on {key} names customers, so only the lead ({lead}), "
        "the goal's owner ({owner}) or a workspace admin can have it."
    ),
    (True, False): N_(
        "The list of customers at risk on {key} names customers, so only the lead ({lead}) or "
        "a workspace admin can have it."
    ),
    (False, True): N_(
        "The list of customers at risk on {key} names customers, so only the goal's owner "
        "({owner}) or a workspace admin can have it."
    ),
    (False, False): N_(
        "The list of customers at risk on {key} names customers, so only a workspace admin can "
        "have it."
    ),
}


async def at_risk_list(
    request: ListRequest,
    datasets: Datasets,
    *,
    as_of: date,
    timezone: str,
    base_dir: Path,
    env: Mapping[str, str],
    seconds: float = LIST_SECONDS,
) -> AtRiskList:
    """The customers behind the request's measure as of `as_of`. Raises ListUnavailable when
    the orders cannot be read, the churn model cannot be fitted or it takes over `seconds`."""
    await preload()  # scoring needs pandas and SciPy: imported off the event loop
    from jobs.customers.scored import ScoringUnavailable, at_risk_customers, scored_apart

    try:
        customers = await scored_apart(
            datasets, as_of=as_of, timezone=timezone, base_dir=base_dir, env=env, seconds=seconds
        )
    except ScoringUnavailable as exc:
        raise ListUnavailable(str(exc)) from None
    if customers["alive"].isna().all():
        raise ListUnavailable(
            "the churn model could not be fitted (too few customers, or none who ever came back)"
        )
    below = datasets.at_risk_below
    return AtRiskList(request, as_of, at_risk_customers(customers, request.measure, below))
