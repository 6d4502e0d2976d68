"""The metric catalog: what admins declare in metrics.yml.

Slack users only ever name a metric by its key; queries and URLs come from this file alone.
"""

from __future__ import annotations

import ast
import enum
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jobs.customers.datasets import Benchmark, Datasets, DatasetSource
from jobs.customers.measures import MEASURES
from jobs.errors import ConfigError

METRIC_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a metric key looks like; use `METRIC_KEY.fullmatch` (a `$` would let `dau\\n` through)."""
_SINCE = re.compile(r":since\b")


class Unit(enum.StrEnum):
    """How a metric's values are counted and shown."""

    COUNT = "count"
    PERCENT = "percent"
    CURRENCY = "currency"
    RATIO = "ratio"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlSource(_Strict):
    """Rows of (day, value) from a SQL query with a `:since` parameter."""

    kind: Literal["sql"]
    url: str
    query: str
    timeout_seconds: float = Field(default=30, gt=0)

    @field_validator("query")
    @classmethod
    def _uses_since(cls, query: str) -> str:
        if not _SINCE.search(query):
            raise ValueError("the query must filter on :since (e.g. where day >= :since)")
        return query


class CsvSource(_Strict):
    """A CSV file with a date column and a value column."""

    kind: Literal["csv"]
    path: Path
    date_column: str = "day"
    value_column: str = "value"


class HttpSource(_Strict):
    """A JSON endpoint returning records with a date field and a value field."""

    kind: Literal["http"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    records: str | None = None
    date_field: str = "day"
    value_field: str = "value"
    timeout_seconds: float = Field(default=15, gt=0)
    # Which redirects to follow: to the same scheme, host and port only; none; or any.
    redirects: Literal["same-host", "none", "any"] = "same-host"


class ManualSource(_Strict):
    """Values typed in with the `checkin` command."""

    kind: Literal["manual"]


Source = Annotated[
    SqlSource | CsvSource | HttpSource | ManualSource | DatasetSource, Field(discriminator="kind")
]


class Metric(_Strict):
    """One metric definition."""

    key: str
    title: str
    unit: Unit = Unit.COUNT
    scale: Literal["fraction", "percent"] = "fraction"
    currency: str = "$"
    direction: Literal["higher", "lower", "either"] = "higher"
    schedule: str = "0 6 * * *"
    source: Source | None = None
    formula: str | None = None
    benchmark: Benchmark | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule_is_cron(cls, schedule: str) -> str:
        try:
            CronTrigger.from_crontab(schedule)
        except ValueError as exc:
            raise ValueError(f"{schedule!r} is not a 5-field cron line ({exc})") from None
        return schedule

    @field_validator("currency")
    @classmethod
    def _currency_is_a_sign(cls, currency: str) -> str:
        # Users type it in front of targets (`¥520`), so it must be one currency sign.
        if len(currency) != 1 or unicodedata.category(currency) != "Sc":
            raise ValueError(f"{currency!r} is not a currency sign such as $, €, £ or ¥")
        return currency

    @model_validator(mode="after")
    def _one_origin(self) -> Metric:
        if (self.source is None) == (self.formula is None):
            raise ValueError("give exactly one of `source` or `formula`")
        return self

    @property
    def measure(self) -> str | None:
        """The built-in measure this metric is, when it is computed from the datasets."""
        return self.source.measure if isinstance(self.source, DatasetSource) else None

    @property
    def is_percent(self) -> bool:
        return self.unit is Unit.PERCENT

    def formula_inputs(self) -> set[str]:
        """The metric keys a derived metric is computed from."""
        if self.formula is None:
            return set()
        return {
            node.id
            for node in ast.walk(ast.parse(self.formula, mode="eval"))
            if isinstance(node, ast.Name)
        }


class MetricCatalog:
    """The metrics this deployment knows, by key."""

    def __init__(
        self,
        metrics: dict[str, Metric],
        *,
        path: Path | None = None,
        datasets: Datasets | None = None,
    ) -> None:
        self._metrics = dict(metrics)
        self.path = path
        self.datasets = datasets or Datasets()

    def __contains__(self, key: object) -> bool:
        return key in self._metrics

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._metrics.values())

    def __len__(self) -> int:
        return len(self._metrics)

    def get(self, key: str) -> Metric | None:
        return self._metrics.get(key)

    @property
    def keys(self) -> list[str]:
        return sorted(self._metrics)


_FORMULA_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
)


def _check_formula(key: str, formula: str, known: set[str]) -> None:
    shown = repr(formula if len(formula) <= 80 else formula[:79] + "…")
    try:
        tree = ast.parse(formula, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(f"formula {shown} is not an arithmetic expression") from None
    for node in ast.walk(tree):
        if not isinstance(node, _FORMULA_NODES):
            raise ValueError(f"formula may use metric keys, numbers and + - * / only: {shown}")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise ValueError(f"formula may use metric keys, numbers and + - * / only: {shown}")
        if isinstance(node, ast.Name) and node.id not in known:
            raise ValueError(f"formula uses {node.id!r}, which is not a metric in this file")
        if isinstance(node, ast.Name) and node.id == key:
            raise ValueError("a formula cannot use its own metric")


def _find_cycle(metrics: dict[str, Metric]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(key: str) -> list[str] | None:
        if key in done:
            return None
        if key in visiting:
            return [*visiting[visiting.index(key) :], key]
        visiting.append(key)
        for dep in sorted(metrics[key].formula_inputs()):
            if (cycle := visit(dep)) is not None:
                return cycle
        visiting.pop()
        done.add(key)
        return None

    for key in sorted(metrics):
        if (cycle := visit(key)) is not None:
            return cycle
    return None


def parse_catalog(document: object, *, path: Path) -> MetricCatalog:
    """Validate a loaded metrics.yml document; errors name the file, the metric and the fault."""
    datasets = _datasets_section(document, path)
    metrics: dict[str, Metric] = {}
    for key, body in _metrics_section(document, path).items():
        metric = _parse_metric(key, body, path)
        _check_measure(metric, datasets, path)
        metrics[metric.key] = metric
    known = set(metrics)
    for key, metric in metrics.items():
        if metric.formula is not None:
            try:
                _check_formula(key, metric.formula, known)
            except ValueError as exc:
                raise ConfigError(f"{path}: metric {key!r}: {exc}") from None
    if (cycle := _find_cycle(metrics)) is not None:
        raise ConfigError(f"{path}: formulas form a cycle: {' -> '.join(cycle)}")
    return MetricCatalog(metrics, path=path, datasets=datasets)


def _datasets_section(document: object, path: Path) -> Datasets:
    """The document's optional `datasets:` section."""
    raw = document.get("datasets") if isinstance(document, dict) else None
    if raw is None:
        return Datasets()
    try:
        return Datasets.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: datasets: {_describe(exc)}") from None


def _check_measure(metric: Metric, datasets: Datasets, path: Path) -> None:
    """A dataset metric names a built-in measure whose datasets are declared."""
    if metric.measure is None:
        return
    measure = MEASURES.get(metric.measure)
    if measure is None:
        known = ", ".join(MEASURES)
        raise ConfigError(
            f"{path}: metric {metric.key!r}: source.measure: {metric.measure!r} is not a "
            f"built-in measure (one of {known})"
        )
    needed = ("orders", "activity") if measure.needs == "both" else (measure.needs,)
    missing = [name for name in needed if getattr(datasets, name) is None]
    if missing:
        raise ConfigError(
            f"{path}: metric {metric.key!r}: {metric.measure} needs the "
            f"{' and '.join(missing)} dataset under `datasets:`"
        )


def _metrics_section(document: object, path: Path) -> dict[object, object]:
    """The document's `metrics:` mapping, which must hold at least one metric."""
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise ConfigError(f"{path}: expected a top-level `metrics:` mapping")
    raw: dict[object, object] = document["metrics"]
    if not raw:
        raise ConfigError(f"{path}: `metrics:` is empty; define at least one metric")
    return raw


def _parse_metric(key: object, body: object, path: Path) -> Metric:
    """One metric's entry, validated: its key, then its settings; the title defaults to the key."""
    if not isinstance(key, str) or not METRIC_KEY.fullmatch(key):
        raise ConfigError(
            f"{path}: metric key {key!r} must be lower_snake_case letters, digits and _"
        )
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: metric {key!r}: expected a mapping of settings")
    for setting in body:
        if not isinstance(setting, str) or setting == "key":
            raise ConfigError(f"{path}: metric {key!r}: {setting}: unknown setting")
    defaults: dict[str, object] = {"title": key.replace("_", " ")}
    source = body.get("source")
    if isinstance(source, dict) and source.get("kind") == "dataset":
        # A built-in measure brings its own unit and direction unless the file says otherwise.
        measure = MEASURES.get(str(source.get("measure")))
        if measure is not None:
            defaults |= {"unit": measure.unit, "direction": measure.direction}
    body = _benchmark_in_scale(body)
    try:
        return Metric.model_validate({**defaults, **body, "key": key})
    except ValidationError as exc:
        raise ConfigError(f"{path}: metric {key!r}: {_describe(exc)}") from None


def _benchmark_in_scale(body: dict[object, object]) -> dict[object, object]:
    """A benchmark value typed as `35%` on a metric whose values are whole percents
    (`scale: percent`) is 35, not 0.35: values and benchmark share one scale."""
    benchmark = body.get("benchmark")
    if body.get("scale") != "percent" or not isinstance(benchmark, dict):
        return body
    value = benchmark.get("value")
    if isinstance(value, str) and value.strip().endswith("%"):
        return {**body, "benchmark": {**benchmark, "value": value.strip()[:-1]}}
    return body


def load_catalog(path: Path) -> MetricCatalog:
    """Read and validate metrics.yml."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: metrics file not found (set GOALPULSE_METRICS)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read metrics file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: metrics file is not UTF-8 text") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        fault = f" ({' '.join(str(problem).split())})" if problem else ""
        raise ConfigError(f"{path}:{where} not valid YAML{fault}") from None
    return parse_catalog(document, path=path)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{where}: {message}" if where else message
