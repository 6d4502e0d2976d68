"""metrics.yml: valid catalogs load; every mistake stops start-up with one line naming it."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from jobs.errors import ConfigError
from jobs.metrics.catalog import (
    CsvSource,
    HttpSource,
    ManualSource,
    MetricCatalog,
    SqlSource,
    Unit,
    load_catalog,
    parse_catalog,
)

DATA = Path(__file__).parent / "data"
SUPPORT = Path(__file__).parents[1] / "support"


def test_playbook_example_loads() -> None:
    """The playbook example loads with its sources, defaults and derived health index."""
    catalog = load_catalog(DATA / "playbook_metrics.yml")
    assert catalog.path == DATA / "playbook_metrics.yml"
    assert catalog.keys == sorted(
        [
            "active_rate_30d",
            "aov",
            "conversion_rate",
            "dau",
            "health_index",
            "next_day_retention",
            "nps",
            "retention_7d",
        ]
    )
    dau = catalog.get("dau")
    assert dau is not None
    assert (dau.title, dau.unit, dau.schedule) == ("Daily active users", Unit.COUNT, "0 6 * * *")
    # The URL is kept as written: the secret is filled in from the environment when it connects.
    assert dau.source == SqlSource(
        kind="sql",
        url="${WAREHOUSE_URL}",
        query="select day, value from kpi_dau where day >= :since",
    )
    retention = catalog.get("next_day_retention")
    assert retention is not None
    assert (retention.unit, retention.scale, retention.is_percent) == (
        Unit.PERCENT,
        "fraction",
        True,
    )
    assert retention.source == CsvSource(
        kind="csv", path=Path("data/retention.csv"), date_column="day", value_column="retention"
    )
    conversion = catalog.get("conversion_rate")
    assert conversion is not None
    assert (conversion.title, conversion.unit, conversion.direction) == (
        "conversion rate",
        Unit.COUNT,
        "higher",
    )
    assert isinstance(conversion.source, HttpSource)
    assert (conversion.source.records, conversion.source.value_field) == ("data", "rate")
    nps = catalog.get("nps")
    assert nps is not None
    assert nps.source == ManualSource(kind="manual")
    health = catalog.get("health_index")
    assert health is not None
    assert health.source is None
    assert health.formula == "active_rate_30d * retention_7d * aov"
    assert health.formula_inputs() == {"active_rate_30d", "retention_7d", "aov"}
    aov = catalog.get("aov")
    assert aov is not None
    assert (aov.unit, aov.currency, aov.direction) == (Unit.CURRENCY, "¥", "either")


def test_sample_catalog_loads() -> None:
    """The catalog the bot tests use loads with its units and directions."""
    catalog = load_catalog(SUPPORT / "metrics.yml")
    assert isinstance(catalog, MetricCatalog)
    assert len(catalog) == 5
    assert "aov" in catalog
    assert "revenue" not in catalog
    assert {m.key: m.unit.value for m in catalog} == {
        "dau": "count",
        "next_day_retention": "percent",
        "aov": "currency",
        "complaint_rate": "percent",
        "nps": "ratio",
    }
    complaint = catalog.get("complaint_rate")
    assert complaint is not None
    assert complaint.direction == "lower"


@pytest.mark.parametrize(
    "formula",
    ["a * b", "(a + b) / 2", "-a + 1.5", "a - +b * 100", "a / (b - 3)", "a * 2"],
    ids=["product", "mean", "unary-minus", "unary-plus", "parentheses", "constant-factor"],
)
def test_arithmetic_formulas_over_known_metrics_are_accepted(formula: str) -> None:
    """Formulas may use metric keys, numbers, + - * / and parentheses."""
    catalog = parse_catalog(
        {
            "metrics": {
                "a": {"source": {"kind": "manual"}},
                "b": {"source": {"kind": "manual"}},
                "derived": {"formula": formula},
            }
        },
        path=Path("metrics.yml"),
    )
    derived = catalog.get("derived")
    assert derived is not None
    assert derived.formula == formula


MANUAL = "source: {kind: manual}"

INVALID = [
    # (id, metrics.yml text, how the message names the metric (None: no one metric), the fault)
    ("empty-file", "", None, "expected a top-level `metrics:` mapping"),
    ("top-level-list", "- dau\n- aov\n", None, "expected a top-level `metrics:` mapping"),
    ("top-level-text", "just some text\n", None, "expected a top-level `metrics:` mapping"),
    ("no-metrics-key", "metric:\n  dau: {source: {kind: manual}}\n", None, "`metrics:` mapping"),
    ("metrics-is-list", "metrics:\n  - dau\n", None, "expected a top-level `metrics:` mapping"),
    ("metrics-is-null", "metrics:\n", None, "expected a top-level `metrics:` mapping"),
    ("empty-metrics", "metrics: {}\n", None, "`metrics:` is empty"),
    ("key-with-dash", f"metrics:\n  daily-users: {{{MANUAL}}}\n", "'daily-users'", "lower_snake"),
    ("key-uppercase", f"metrics:\n  DAU: {{{MANUAL}}}\n", "'DAU'", "must be lower_snake_case"),
    ("key-leading-digit", f"metrics:\n  7day: {{{MANUAL}}}\n", "'7day'", "must be lower_snake"),
    ("key-newline", f'metrics:\n  "dau\\n": {{{MANUAL}}}\n', "'dau\\n'", "must be lower_snake"),
    ("key-number", f"metrics:\n  42: {{{MANUAL}}}\n", "42", "must be lower_snake_case"),
    ("body-not-mapping", "metrics:\n  dau: 5\n", "'dau'", "expected a mapping of settings"),
    ("body-empty", "metrics:\n  dau:\n", "'dau'", "expected a mapping of settings"),
    ("unknown-unit", f"metrics:\n  dau: {{unit: users, {MANUAL}}}\n", "'dau'", "unit: Input"),
    ("bad-scale", f"metrics:\n  r: {{unit: percent, scale: bps, {MANUAL}}}\n", "'r'", "scale:"),
    ("currency-code", f"metrics:\n  aov: {{currency: USD, {MANUAL}}}\n", "'aov'", "currency sign"),
    ("bad-direction", f"metrics:\n  dau: {{direction: up, {MANUAL}}}\n", "'dau'", "direction:"),
    ("source-kind-ftp", "metrics:\n  dau: {source: {kind: ftp}}\n", "'dau'", "tag 'ftp'"),
    ("source-no-kind", "metrics:\n  dau: {source: {url: x}}\n", "'dau'", "discriminator 'kind'"),
    ("source-not-mapping", "metrics:\n  dau: {source: sql}\n", "'dau'", "source: Input should"),
    (
        "source-and-formula",
        "metrics:\n  a: {formula: '1', source: {kind: manual}}\n",
        "'a'",
        "exactly one",
    ),
    ("neither-source-nor-formula", "metrics:\n  dau: {title: DAU}\n", "'dau'", "exactly one of"),
    (
        "sql-without-since",
        "metrics:\n  dau: {source: {kind: sql, url: x, query: 'select day, value from t'}}\n",
        "'dau'",
        "source.sql.query: the query must filter on :since",
    ),
    (
        "sql-since-prefix-only",
        "metrics:\n  dau: {source: {kind: sql, url: x, query: 'select * where d >= :since_day'}}\n",
        "'dau'",
        "must filter on :since",
    ),
    (
        "sql-zero-timeout",
        "metrics:\n  dau: {source: {kind: sql, url: x, query: ':since', timeout_seconds: 0}}\n",
        "'dau'",
        "source.sql.timeout_seconds",
    ),
    (
        "http-ftp-url",
        "metrics:\n  dau: {source: {kind: http, url: 'ftp://bi.example/x'}}\n",
        "'dau'",
        "source.http.url",
    ),
    (
        "http-file-url",
        "metrics:\n  dau: {source: {kind: http, url: 'file:///etc/passwd'}}\n",
        "'dau'",
        "source.http.url",
    ),
    ("csv-no-path", "metrics:\n  dau: {source: {kind: csv}}\n", "'dau'", "source.csv.path"),
    ("cron-minute-61", f"metrics:\n  dau: {{schedule: '61 * * * *', {MANUAL}}}\n", "'dau'", "cron"),
    (
        "cron-six-fields",
        f"metrics:\n  dau: {{schedule: '0 0 6 * * *', {MANUAL}}}\n",
        "'dau'",
        "5-field",
    ),
    ("cron-words", f"metrics:\n  dau: {{schedule: daily, {MANUAL}}}\n", "'dau'", "cron line"),
    (
        "cron-zero-step",
        f"metrics:\n  dau: {{schedule: '*/0 * * * *', {MANUAL}}}\n",
        "'dau'",
        "cron",
    ),
    ("cron-not-text", f"metrics:\n  dau: {{schedule: 6, {MANUAL}}}\n", "'dau'", "schedule:"),
    (
        "formula-unknown-metric",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: a * ghost}}\n",
        "'h'",
        "formula uses 'ghost', which is not a metric in this file",
    ),
    (
        "formula-import-call",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: \"__import__('os')\"}}\n",
        "'h'",
        "formula may use metric keys, numbers and + - * / only",
    ),
    (
        "formula-attribute",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: a.b}}\n",
        "'h'",
        "numbers and + - * / only",
    ),
    (
        "formula-dunder-attribute",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: a.__class__}}\n",
        "'h'",
        "numbers and + - * / only",
    ),
    ("formula-power", f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: a ** 2}}\n", "'h'", "only"),
    (
        "formula-string",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: \"a * 'x'\"}}\n",
        "'h'",
        "only",
    ),
    ("formula-bool", f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: a * True}}\n", "'h'", "only"),
    (
        "formula-lambda",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: 'lambda: a'}}\n",
        "'h'",
        "only",
    ),
    (
        "formula-syntax",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: 'a *'}}\n",
        "'h'",
        "not an arith",
    ),
    (
        "formula-empty",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: ''}}\n",
        "'h'",
        "not an arithmetic",
    ),
    (
        "formula-too-deep",
        f"metrics:\n  a: {{{MANUAL}}}\n  h: {{formula: '{'a+' * 30000}a'}}\n",
        "'h'",
        "is not an arithmetic expression",
    ),
    ("formula-self", "metrics:\n  h: {formula: h * 2}\n", "'h'", "cannot use its own metric"),
    (
        "formula-cycle",
        f"metrics:\n  a: {{{MANUAL}}}\n  b: {{formula: a * c}}\n  c: {{formula: b + 1}}\n",
        "b -> c",
        "formulas form a cycle: b -> c -> b",
    ),
    (
        "unknown-setting",
        f"metrics:\n  dau: {{colour: red, {MANUAL}}}\n",
        "'dau'",
        "colour: unknown",
    ),
    (
        "unknown-source-setting",
        "metrics:\n  dau: {source: {kind: manual, table: x}}\n",
        "'dau'",
        "source.manual.table: unknown setting",
    ),
    (
        "key-as-setting",
        f"metrics:\n  dau: {{key: other, {MANUAL}}}\n",
        "'dau'",
        "key: unknown setting",
    ),
    ("number-as-setting", f"metrics:\n  dau: {{1: x, {MANUAL}}}\n", "'dau'", "1: unknown setting"),
    ("yaml-unclosed-flow", "metrics:\n  dau: {source: [\n", None, "not valid YAML"),
    ("yaml-bad-indent", "metrics:\n  dau:\n    unit: count\n   title: x\n", None, "line 4"),
    ("yaml-tab", "metrics:\n\tdau: {}\n", None, "not valid YAML"),
]


@pytest.mark.parametrize(
    ("text", "named", "fault"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_metrics_file_stops_with_one_line(
    tmp_path: Path, text: str, named: str | None, fault: str
) -> None:
    """Each mistake raises ConfigError: one line naming the file, the metric and the fault."""
    path = tmp_path / "metrics.yml"
    path.write_text(dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    if named is not None:
        assert named in message
    assert fault in message
    assert len(message) < 400


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing metrics.yml says which path was tried and which setting points at it."""
    path = tmp_path / "nowhere" / "metrics.yml"
    with pytest.raises(
        ConfigError, match=r"metrics file not found \(set GOALPULSE_METRICS\)"
    ) as caught:
        load_catalog(path)
    assert str(caught.value).startswith(f"{path}:")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "fault"),
    [(b"metrics:\n  dau: {title: \xff\xfe}\n", "not UTF-8"), (None, "cannot read metrics file")],
    ids=["not-utf8", "a-directory"],
)
def test_unreadable_file_is_named(tmp_path: Path, content: bytes | None, fault: str) -> None:
    """A file that is not UTF-8 text, or is a directory, is one ConfigError line, not a crash."""
    path = tmp_path / "metrics.yml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    assert str(caught.value).startswith(f"{path}:")
    assert fault in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "document",
    [None, [], "metrics", {"metrics": []}, {"metrics": "dau"}],
    ids=["none", "list", "text", "metrics-list", "metrics-text"],
)
def test_parse_catalog_refuses_documents_that_are_not_mappings(document: object) -> None:
    """parse_catalog itself refuses a document without a `metrics:` mapping."""
    with pytest.raises(
        ConfigError, match=r"^metrics\.yml: expected a top-level `metrics:` mapping$"
    ):
        parse_catalog(document, path=Path("metrics.yml"))


@pytest.mark.parametrize(
    ("scale", "typed", "stored"),
    [
        pytest.param("fraction", "35%", 0.35, id="fraction-percent-text"),
        pytest.param("fraction", 0.35, 0.35, id="fraction-number"),
        pytest.param("percent", "35%", 35.0, id="whole-percent-text"),
        pytest.param("percent", 35, 35.0, id="whole-percent-number"),
    ],
)
def test_a_benchmark_shares_its_metrics_scale(scale: str, typed: object, stored: float) -> None:
    """`benchmark: 35%` means 35% of whatever scale the metric's values are stored in."""
    document = {
        "metrics": {
            "active_rate": {
                "unit": "percent",
                "scale": scale,
                "source": {"kind": "manual"},
                "benchmark": {"value": typed, "warn_below": "15%"},
            }
        }
    }
    metric = parse_catalog(document, path=Path("metrics.yml")).get("active_rate")
    assert metric is not None
    assert metric.benchmark is not None
    assert (metric.benchmark.value, metric.benchmark.warn_below) == (stored, 0.15)
