"""Customer datasets in metrics.yml: where orders and activity events live, and which columns
hold what. The built-in measures computed from them are listed in jobs/customers/measures.py.

A dataset is read where it lives: a table or view in a database (aggregated there, by SQL), or
CSV or Parquet files matched by a glob (aggregated by DuckDB). goalpulse never loads the rows.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jobs.customers.tier_rules import TierRules

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A column name, or one part of a table name: quoted in every query, never spliced raw."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlTable(_Strict):
    """A table or view in a database; `url` may name environment variables (`${WAREHOUSE_URL}`)."""

    url: str
    table: str
    timeout_seconds: float = Field(default=120, gt=0)

    @field_validator("table")
    @classmethod
    def _table_is_a_name(cls, table: str) -> str:
        if not all(IDENTIFIER.fullmatch(part) for part in table.split(".")) or table.count(".") > 1:
            raise ValueError(f"{table!r} is not a table name (letters, digits, _; schema.table)")
        return table


class Files(_Strict):
    """CSV or Parquet files matched by a glob, relative to metrics.yml's folder."""

    path: str
    format: Literal["csv", "parquet"] | None = None  # by the extension when omitted

    @model_validator(mode="after")
    def _format_known(self) -> Files:
        if self.format is None and PurePath(self.path).suffix.lower() not in (".csv", ".parquet"):
            raise ValueError("say `format: csv` or `format: parquet` (the path ends in neither)")
        return self

    @property
    def file_format(self) -> Literal["csv", "parquet"]:
        """The files' format, given or read from the extension."""
        if self.format is not None:
            return self.format
        return "parquet" if PurePath(self.path).suffix.lower() == ".parquet" else "csv"


def _check_columns(columns: dict[str, str | None]) -> None:
    for role, name in columns.items():
        if name is not None and not IDENTIFIER.fullmatch(name):
            raise ValueError(f"columns.{role}: {name!r} is not a column name")


class OrdersColumns(_Strict):
    """Which column holds what in the orders dataset."""

    customer: str
    at: str
    amount: str
    order_id: str | None = None
    status: str | None = None

    @model_validator(mode="after")
    def _names(self) -> OrdersColumns:
        _check_columns(self.model_dump())
        return self


class ActivityColumns(_Strict):
    """Which column holds what in the activity dataset."""

    user: str
    at: str
    event: str | None = None

    @model_validator(mode="after")
    def _names(self) -> ActivityColumns:
        _check_columns(self.model_dump())
        return self


class _Located(_Strict):
    sql: SqlTable | None = None
    files: Files | None = None
    # Naive timestamps are UTC (`utc`) or already in the deployment's timezone (`local`);
    # either way a row's day is its date in the deployment's timezone.
    timestamps: Literal["utc", "local"] = "utc"

    @field_validator("files", mode="before")
    @classmethod
    def _glob_alone(cls, files: object) -> object:
        return {"path": files} if isinstance(files, str) else files

    @model_validator(mode="after")
    def _one_place(self) -> _Located:
        if (self.sql is None) == (self.files is None):
            raise ValueError("give exactly one of `sql` or `files`")
        return self


class OrdersDataset(_Located):
    """Orders: who bought, when, for how much. Orders whose status is listed in
    `exclude_statuses` (refunds, cancellations) count nowhere."""

    columns: OrdersColumns
    exclude_statuses: tuple[str, ...] = ("refunded", "cancelled")

    @model_validator(mode="after")
    def _status_column(self) -> OrdersDataset:
        if self.columns.status is None and self.exclude_statuses != ("refunded", "cancelled"):
            raise ValueError("exclude_statuses needs columns.status")
        return self


class ActivityDataset(_Located):
    """Activity events: who did something, when. With `events`, only those event names count
    (they need columns.event)."""

    columns: ActivityColumns
    events: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _event_column(self) -> ActivityDataset:
        if self.events is not None and self.columns.event is None:
            raise ValueError("events needs columns.event")
        return self


class Datasets(_Strict):
    """The `datasets:` section: the two datasets and how often to recompute from them."""

    orders: OrdersDataset | None = None
    activity: ActivityDataset | None = None
    schedule: str = "0 6 * * *"
    # The first pull computes `history_days` days; later pulls recompute the last `late_days`
    # days too, for rows that arrive late.
    history_days: int = Field(default=90, ge=8, le=730)
    late_days: int = Field(default=3, ge=0, le=60)
    # The customer tiers' rules (README "Customer tiers"), and the churn model's warning: a
    # customer whose probability of being alive is below `at_risk_below` is at risk.
    tiers: TierRules = TierRules()
    at_risk_below: float = Field(default=0.5, gt=0, lt=1)

    @field_validator("schedule")
    @classmethod
    def _schedule_is_cron(cls, schedule: str) -> str:
        try:
            CronTrigger.from_crontab(schedule)
        except ValueError as exc:
            raise ValueError(f"{schedule!r} is not a 5-field cron line ({exc})") from None
        return schedule


class DatasetSource(_Strict):
    """A metric computed by goalpulse from the datasets: one of the built-in measures."""

    kind: Literal["dataset"]
    measure: str


class Benchmark(_Strict):
    """An industry benchmark for a metric, in the metric's own unit (a fraction for percent
    metrics). A goal on the metric warns when its value is more than `warn_below` under the
    benchmark (or `warn_above` over it): the goal's band is raised to at least `band`."""

    value: float
    warn_below: float | None = Field(default=None, gt=0, lt=1)
    warn_above: float | None = Field(default=None, gt=0)
    band: Literal["yellow", "orange", "red"] = "orange"

    @field_validator("value", "warn_below", "warn_above", mode="before")
    @classmethod
    def _percent_text(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1]) / 100
            except ValueError:
                raise ValueError(f"{value!r} is not a percentage") from None
        return value

    def breached(self, value: float) -> bool:
        """Whether `value` is further from the benchmark than the warning allows."""
        below = self.warn_below is not None and value < self.value * (1 - self.warn_below)
        above = self.warn_above is not None and value > self.value * (1 + self.warn_above)
        return below or above

    def gap(self, value: float) -> float | None:
        """How far `value` is from the benchmark, as a fraction of it (−0.18 is 18% below)."""
        return value / self.value - 1 if self.value else None
