"""The README tells the truth: its examples load, and every setting and command it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.commands.parse import SUBCOMMANDS
from bot.settings import Settings
from jobs.customers.measures import MEASURES
from jobs.metrics.catalog import parse_catalog

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def _section(title: str) -> str:
    pattern = rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)"
    match = re.search(pattern, README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _metrics_examples() -> list[str]:
    return [body for body in _blocks("yaml") if re.search(r"^metrics:", body, re.MULTILINE)]


def test_readme_shows_a_metrics_example() -> None:
    """There is at least one metrics.yml example to check (the tests below are not vacuous)."""
    assert _metrics_examples()


@pytest.mark.parametrize("example", _metrics_examples())
def test_metrics_examples_validate(example: str) -> None:
    """Every metrics.yml in the README passes the same validation `goalpulse run` applies."""
    catalog = parse_catalog(yaml.safe_load(example), path=Path("README.md"))
    assert len(catalog) == len(yaml.safe_load(example)["metrics"])


def _settings_table() -> dict[str, tuple[str, str]]:
    """NAME -> (required, default) from the README's settings table."""
    rows = re.findall(
        r"^\| `([A-Z_]+)` \| (yes|no) \| (.*?) \|", _section("Settings"), re.MULTILINE
    )
    return {name: (required, default.strip("`")) for name, required, default in rows}


def test_settings_table_lists_exactly_the_settings() -> None:
    """Each setting the README documents is read by goalpulse, and each one read is documented."""
    assert set(_settings_table()) == {name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_settings_table_states_required_and_default(name: str) -> None:
    """The README's required and default columns match the settings class."""
    required, default = _settings_table()[name.upper()]
    field = Settings.model_fields[name]
    assert required == ("yes" if field.is_required() else "no")
    if field.is_required() or field.default is None:
        assert default == "—"
    else:
        shown = f"{field.default:g}" if isinstance(field.default, float) else str(field.default)
        assert default == shown


def _cli_commands(capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        main(["--help"])
    commands = set(re.findall(r"^    ([a-z]+)\b", capsys.readouterr().out, re.MULTILINE))
    assert commands, "goalpulse --help lists no commands"
    return commands


def test_cli_commands_match_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    """Every `goalpulse X` the README shows exists, and every command exists in the README."""
    named = set(re.findall(r"^goalpulse ([a-z]+)", "\n".join(_blocks("sh")), re.MULTILINE))
    assert named == _cli_commands(capsys)


def test_slash_commands_match_the_readme() -> None:
    """The README's /goal table names exactly the subcommands the parser knows."""
    table = _section("Using `/goal`")
    named = set(re.findall(r"`/goal ([a-z]+)", table))
    for group in re.findall(r"`/goal ([a-z]+(?:\\\|[a-z]+)+)", table):
        named |= set(group.split("\\|"))
    assert named == set(SUBCOMMANDS)


def test_make_targets_exist() -> None:
    """Every `make X` the README tells people to run is a Makefile target."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named
    assert named <= targets, named - targets


def _measure_table() -> dict[str, tuple[str, str, str]]:
    """measure -> (needs, "unit, direction", definition) from the README's measure table."""
    rows = re.findall(
        r"^\| `([a-z0-9_]+)` \| (\w+) \| (\w+, \w+) \| (.*?) \|$",
        _section("Customer datasets"),
        re.MULTILINE,
    )
    return {name: (needs, shown, definition) for name, needs, shown, definition in rows}


def test_measure_table_lists_exactly_the_built_in_measures() -> None:
    """Every built-in measure is in the README's table, in order, with its exact definition."""
    table = _measure_table()
    assert list(table) == list(MEASURES)
    for name, measure in MEASURES.items():
        shown = f"{measure.unit}, {measure.direction}"
        assert table[name] == (measure.needs, shown, measure.definition), name


def test_datasets_example_loads() -> None:
    """The README's first datasets example validates, with both datasets and metrics on
    measures; the tiers example after it sets every rule."""
    health, tiers = [
        body for body in _metrics_examples() if re.search(r"^datasets:", body, re.MULTILINE)
    ]
    rules = parse_catalog(yaml.safe_load(tiers), path=Path("README.md")).datasets
    assert rules.tiers.churn_probability_below == 0.2
    assert rules.at_risk_below == 0.5
    catalog = parse_catalog(yaml.safe_load(health), path=Path("README.md"))
    assert catalog.datasets.orders is not None
    assert catalog.datasets.activity is not None
    measures = {metric.measure for metric in catalog}
    assert measures <= set(MEASURES)
    assert "health_index" in measures
