"""`/goal` text → typed commands: every valid form, every refusal, escaping, and fuzzing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parse import (
    Command,
    Configure,
    ListGoals,
    OpenGoalModal,
    PauseGoal,
    RemoveGoal,
    ResumeGoal,
    SetGoal,
    SetThresholds,
    ShowGoal,
    ShowHelp,
    parse_command,
)
from bot.render.text import command_text, error_text
from jobs.errors import CommandLine, GoalpulseError, NotFoundError, UsageError
from jobs.goals.channel_settings import (
    ChecklistChange,
    ConfigChange,
    LanguageChange,
    TreatmentChange,
)
from jobs.goals.service import GoalChange, Thresholds
from jobs.metrics.catalog import load_catalog
from storage.models import Direction

TODAY = date(2026, 11, 25)
CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
COMMAND_TYPES = get_args(Command)
# Text that is safe in mrkdwn: no `<` or `>` at all, and every `&` starts an entity we wrote.
INERT = re.compile(r"(?:[^<>&]|&(?:amp|lt|gt);)*", re.DOTALL)


def parse(text: str) -> Command:
    return parse_command(text, catalog=CATALOG, today=TODAY)


def as_typed(command: CommandLine) -> str:
    """An example command as Slack would send its text: `/goal ` dropped, `@ana` → a mention."""
    example = command_text(command)
    assert example.startswith("/goal"), example
    text = example.removeprefix("/goal").lstrip()
    return re.sub(r"(?<![<\w])@(\w+)", lambda m: f"<@U0{m[1].upper()}|{m[1]}>", text)


def assert_inert(message: str) -> None:
    assert INERT.fullmatch(message), f"unescaped mrkdwn in {message!r}"
    assert message.count("`") % 2 == 0, f"unbalanced code span in {message!r}"


def goal(key: str, target: float, **fields: object) -> SetGoal:
    return SetGoal(GoalChange(metric_key=key, target=target, **fields))  # type: ignore[arg-type]


def config(**fields: str) -> Configure:
    return Configure(ConfigChange(**fields))  # type: ignore[arg-type]


def checklist(action: str, title: str) -> Configure:
    return Configure(ConfigChange(checklist=ChecklistChange(action, title)))  # type: ignore[arg-type]


ANA, LI = "<@U0ANA|ana>", "<@U0LI|li>"

VALID: list[tuple[str, Command]] = [
    ("", ShowHelp()),
    ("   ", ShowHelp()),
    ("help", ShowHelp()),
    ("HELP", ShowHelp()),
    ("set", OpenGoalModal()),
    ("  Set  ", OpenGoalModal()),
    ("set dau 150000", goal("dau", 150000.0)),
    ("set dau 150k", goal("dau", 150000.0)),
    ("set dau 150K", goal("dau", 150000.0)),
    ("set dau 1.2M", goal("dau", 1200000.0)),
    ("set dau 2b", goal("dau", 2e9)),
    ("set dau 0.07k", goal("dau", 70.0)),
    ("set dau 1234.5", goal("dau", 1234.5)),
    ("set dau .5", goal("dau", 0.5)),
    ("set next_day_retention 30%", goal("next_day_retention", 0.3)),
    ("set next_day_retention 35", goal("next_day_retention", 0.35)),
    ("set next_day_retention 35%", goal("next_day_retention", 0.35)),
    ("set next_day_retention 35.5", goal("next_day_retention", 0.355)),
    ("set next_day_retention 1.1%", goal("next_day_retention", 0.011)),
    ("set next_day_retention 100%", goal("next_day_retention", 1.0)),
    ("set complaint_rate 2%", goal("complaint_rate", 0.02)),
    ("set aov ¥520", goal("aov", 520.0)),
    ("set aov 520", goal("aov", 520.0)),
    ("set aov ¥1.2k", goal("aov", 1200.0)),
    ("set nps 1.25", goal("nps", 1.25)),
    ("set nps -0.5", goal("nps", -0.5)),
    ("set dau 150k higher", goal("dau", 150000.0, direction=Direction.HIGHER)),
    ("set dau 150k lower", goal("dau", 150000.0, direction=Direction.LOWER)),
    ("set dau 150k either", goal("dau", 150000.0, direction=Direction.EITHER)),
    ("set dau 150k by 2027-03-31", goal("dau", 150000.0, due_date=date(2027, 3, 31))),
    ("set dau 150k by 2026-11-25", goal("dau", 150000.0, due_date=TODAY)),
    (f"set dau 150k owner {ANA}", goal("dau", 150000.0, owner_id="U0ANA")),
    ("set dau 150k owner <@U0ANA>", goal("dau", 150000.0, owner_id="U0ANA")),
    ("set dau 150k lead <@U0LI>", goal("dau", 150000.0, lead_id="U0LI")),
    ("set dau 150k lead <@W0LI|li>", goal("dau", 150000.0, lead_id="W0LI")),
    ("set dau 150k owner <@U0ANA|Ana María>", goal("dau", 150000.0, owner_id="U0ANA")),
    (
        f"set dau 150k lower by 2027-01-31 owner {ANA} lead {LI}",
        goal(
            "dau",
            150000.0,
            direction=Direction.LOWER,
            due_date=date(2027, 1, 31),
            owner_id="U0ANA",
            lead_id="U0LI",
        ),
    ),
    (
        f"set dau 150k lead {LI} owner {ANA} by 2027-01-31 either",
        goal(
            "dau",
            150000.0,
            direction=Direction.EITHER,
            due_date=date(2027, 1, 31),
            owner_id="U0ANA",
            lead_id="U0LI",
        ),
    ),
    (
        f"SET DAU 150K LOWER BY 2027-01-31 OWNER {ANA} LEAD {LI}",
        goal(
            "dau",
            150000.0,
            direction=Direction.LOWER,
            due_date=date(2027, 1, 31),
            owner_id="U0ANA",
            lead_id="U0LI",
        ),
    ),
    ("  set   dau\t150k  ", goal("dau", 150000.0)),
    ("list", ListGoals()),
    ("LIST", ListGoals()),
    ("show dau", ShowGoal("dau")),
    ("Show DAU", ShowGoal("dau")),
    ("pause dau", PauseGoal("dau")),
    ("resume next_day_retention", ResumeGoal("next_day_retention")),
    ("remove aov", RemoveGoal("aov")),
    ("thresholds dau 10 20 30", SetThresholds("dau", Thresholds(0.1, 0.2, 0.3))),
    ("thresholds dau 10% 20% 30%", SetThresholds("dau", Thresholds(0.1, 0.2, 0.3))),
    ("thresholds dau 5 12.5 25", SetThresholds("dau", Thresholds(0.05, 0.125, 0.25))),
    ("THRESHOLDS Nps 15% 25 40%", SetThresholds("nps", Thresholds(0.15, 0.25, 0.4))),
    ("config", config()),
    (f"config ceo {ANA}", config(ceo_id="U0ANA")),
    ("config lead <@U0LI>", config(lead_id="U0LI")),
    ("config digest 09:30", config(digest_time="09:30")),
    ("config digest 9:05", config(digest_time="09:05")),
    ("config digest 23:59", config(digest_time="23:59")),
    ("config tz Europe/Berlin", config(timezone="Europe/Berlin")),
    ("config timezone Asia/Tokyo", config(timezone="Asia/Tokyo")),
    ("config tz europe/berlin", config(timezone="Europe/Berlin")),
    ("config tz UTC", config(timezone="UTC")),
    (
        f"config ceo {ANA} lead {LI} digest 08:00 tz America/New_York",
        config(ceo_id="U0ANA", lead_id="U0LI", digest_time="08:00", timezone="America/New_York"),
    ),
    (
        f"CONFIG TZ Asia/Shanghai DIGEST 7:45 LEAD {LI}",
        config(lead_id="U0LI", digest_time="07:45", timezone="Asia/Shanghai"),
    ),
    ('config checklist add "User journey map review"', checklist("add", "User journey map review")),
    (
        'config checklist remove "User journey map review"',
        checklist("remove", "User journey map review"),
    ),
    (
        "config CHECKLIST Add \u201cPricing page review\u201d",
        checklist("add", "Pricing page review"),
    ),
    (
        "config checklist add Onboarding   funnel review",
        checklist("add", "Onboarding funnel review"),
    ),
    ('config checklist add "  spaced  out  "', checklist("add", "spaced out")),
    ('config checklist add "Review "pricing" page"', checklist("add", 'Review "pricing" page')),
    ('config checklist add "A &amp; B &lt;3"', checklist("add", "A & B <3")),
    ('config checklist add "<!channel> review"', checklist("add", "<!channel> review")),
    (
        'config checklist add "\U0001f469\u200d\U0001f4bb code review"',
        checklist("add", "\U0001f469\u200d\U0001f4bb code review"),
    ),
    (f'config checklist add "{"x" * 75}"', checklist("add", "x" * 75)),
]


@pytest.mark.parametrize(
    ("text", "expected"), VALID, ids=[text.strip() or repr(text) for text, _ in VALID]
)
def test_valid_commands_parse_to_typed_values(text: str, expected: Command) -> None:
    """Each valid form of each subcommand gives the right typed command with the right values."""
    assert parse(text) == expected


def treatment(tier: str, title: str | None) -> Configure:
    return Configure(ConfigChange(treatment=TreatmentChange(tier, title)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'config treatment high_value "Concierge onboarding"',
            treatment("high_value", "Concierge onboarding"),
            id="valid",
        ),
        pytest.param(
            "config TREATMENT High-Value \u201cConcierge   onboarding\u201d",
            treatment("high_value", "Concierge onboarding"),
            id="valid-high-value-with-a-hyphen-and-curly-quotes",
        ),
        pytest.param(
            "config treatment potential Upgrade path review",
            treatment("potential", "Upgrade path review"),
            id="valid-unquoted",
        ),
        pytest.param(
            'config treatment churned "Win-back &amp; survey <!here>"',
            treatment("churned", "Win-back & survey <!here>"),
            id="valid-stored-as-typed",
        ),
        pytest.param("config treatment churned reset", treatment("churned", None), id="reset"),
        pytest.param("config treatment new RESET", treatment("new", None), id="reset-any-case"),
        pytest.param(
            'config treatment new "reset"', treatment("new", "reset"), id="quoted-reset-is-text"
        ),
    ],
)
def test_config_treatment_parses(text: str, expected: Configure) -> None:
    """`config treatment <tier> "<text>"` sets a tier's treatment; `reset` puts the default back."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(
            'config treatment vip "Concierge"', "`vip` is not a customer tier", id="unknown-tier"
        ),
        pytest.param(
            "config treatment high-value",
            "Give the high-value tier's treatment in quotes, or `reset`",
            id="missing-text",
        ),
        pytest.param(
            "config treatment", "needs a customer tier (`high_value`, `potential`", id="no-tier"
        ),
    ],
)
def test_config_treatment_refusals_show_a_working_example(text: str, fragment: str) -> None:
    """A treatment command that can't be read says why, with an example that parses."""
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert fragment in error_text(caught.value)
    assert caught.value.example is not None
    assert isinstance(parse(as_typed(caught.value.example)), Configure)


LONG = "set dau 150k " + "x" * 500

MALFORMED: list[tuple[str, str, type[GoalpulseError], str]] = [
    # (id, text, error class, a distinctive part of the message)
    ("unknown-subcommand", "frobnicate dau", UsageError, "`frobnicate` is not a /goal command"),
    ("channel-as-subcommand", "<!channel>", UsageError, "`&lt;!channel&gt;` is not a /goal"),
    ("mention-as-subcommand", "<@U0ANA|ana> set", UsageError, "is not a /goal command"),
    ("unknown-metric", "set revenue 150k", NotFoundError, "no metric `revenue`"),
    ("unknown-metric-show", "show revenue", NotFoundError, "no metric `revenue`"),
    ("unknown-metric-pause", "pause revenue", NotFoundError, "Known metrics: `aov`"),
    ("unknown-metric-thresholds", "thresholds revenue 1 2 3", NotFoundError, "no metric"),
    ("metric-bad-characters", "set d-au 150k", UsageError, "`d-au` is not a metric key"),
    ("metric-non-ascii", "show dä", UsageError, "`dä` is not a metric key"),
    ("here-as-metric", "show <!here>", UsageError, "`&lt;!here&gt;` is not a metric key"),
    ("here-as-metric-set", "set <!here> 150k", UsageError, "`&lt;!here&gt;` is not a metric"),
    ("missing-metric-show", "show", UsageError, "Name the metric"),
    ("missing-metric-remove", "remove", UsageError, "Name the metric"),
    ("missing-metric-thresholds", "thresholds", UsageError, "Name the metric"),
    ("missing-target", "set dau", UsageError, "Give a target for `dau`"),
    ("non-numeric-target", "set dau lots", UsageError, "`lots` is not a number"),
    ("mention-as-target", "set dau <@U0ANA>", UsageError, "`&lt;@U0ANA&gt;` is not a number"),
    ("comma-target", "set dau 1,000", UsageError, "(without commas)"),
    ("exponent-target", "set dau 1e5", UsageError, "`1e5` is not a number"),
    ("inf-target", "set dau inf", UsageError, "`inf` is not a number"),
    ("zero-target", "set dau 0", UsageError, "A target of 0 cannot measure drift"),
    ("zero-percent-target", "set next_day_retention 0%", UsageError, "A target of 0"),
    ("negative-target", "set dau -5", UsageError, "`-5` is negative"),
    ("negative-money", "set aov -¥5", UsageError, "a currency target must be above 0"),
    ("percent-on-count", "set dau 30%", UsageError, "`dau` is a count metric, so its target"),
    ("over-100-percent", "set next_day_retention 120%", UsageError, "`120%` is over 100%"),
    ("over-100-bare", "set next_day_retention 120", UsageError, "`120` is over 100%"),
    ("currency-on-count", "set dau $500", UsageError, "`dau` is a count metric, not money"),
    ("currency-on-percent", "set next_day_retention ¥5", UsageError, "not money"),
    ("wrong-currency", "set aov $520", UsageError, "counted in ¥, not $"),
    ("unknown-option", "set dau 150k sideways", UsageError, "I don't understand `sideways`"),
    ("here-as-option", "set dau 150k <!here>", UsageError, "understand `&lt;!here&gt;`"),
    ("duplicate-owner", f"set dau 150k owner {ANA} owner {LI}", UsageError, "given twice"),
    ("duplicate-lead", f"set dau 150k lead {LI} LEAD {LI}", UsageError, "`LEAD` is given twice"),
    ("duplicate-by", "set dau 1k by 2027-01-01 by 2027-02-01", UsageError, "`by` is given twice"),
    (
        "two-directions",
        "set dau 150k higher lower",
        UsageError,
        "direction is given twice (`higher`, then `lower`)",
    ),
    ("by-without-date", "set dau 150k by", UsageError, "`by` needs a date"),
    ("by-then-option", f"set dau 150k by owner {ANA}", UsageError, "`owner` is not a date"),
    ("bad-month", "set dau 150k by 2026-13-01", UsageError, "`2026-13-01` is not a date"),
    ("bad-day", "set dau 150k by 2027-02-30", UsageError, "`2027-02-30` is not a date"),
    ("short-date", "set dau 150k by 26-1-1", UsageError, "`26-1-1` is not a date"),
    ("compact-date", "set dau 150k by 20270331", UsageError, "`20270331` is not a date"),
    ("week-date", "set dau 150k by 2027-W01-1", UsageError, "`2027-W01-1` is not a date"),
    ("past-date", "set dau 150k by 2026-11-24", UsageError, "2026-11-24 is in the past"),
    ("owner-not-mention", "set dau 150k owner ana", UsageError, "but got `ana`"),
    ("owner-at-name", "set dau 150k owner @ana", UsageError, "but got `@ana`"),
    ("owner-channel", "set dau 150k owner <!channel>", UsageError, "got `&lt;!channel&gt;`"),
    ("owner-usergroup", "set dau 1k owner <!subteam^S1|devs>", UsageError, "@mention of a person"),
    ("owner-lowercase-id", "set dau 150k owner <@u0ana>", UsageError, "@mention of a person"),
    ("owner-missing", "set dau 150k owner", UsageError, "`owner` needs an @mention"),
    ("lead-missing", f"set dau 150k owner {ANA} lead", UsageError, "but got nothing"),
    ("thresholds-decreasing", "thresholds dau 30 20 10", UsageError, "positive and increasing"),
    ("thresholds-equal", "thresholds dau 10 10 30", UsageError, "positive and increasing"),
    ("thresholds-two", "thresholds dau 10 20", UsageError, "Give three percentages"),
    ("thresholds-four", "thresholds dau 10 20 30 40", UsageError, "Give three percentages"),
    ("thresholds-none", "thresholds dau", UsageError, "Give three percentages"),
    ("thresholds-word", "thresholds dau 10 x 30", UsageError, "`x` is not a percentage"),
    ("thresholds-zero", "thresholds dau 0 10 20", UsageError, "`0` is not a percentage"),
    ("thresholds-negative", "thresholds dau -10 20 30", UsageError, "`-10` is not a percentage"),
    ("thresholds-money", "thresholds dau ¥10 20 30", UsageError, "`¥10` is not a percentage"),
    ("thresholds-huge", "thresholds dau 10 20 1000", UsageError, "below 1000"),
    ("config-unknown-key", "config colour blue", UsageError, "`colour` is not a setting"),
    ("config-bad-time", "config digest 25:00", UsageError, "`25:00` is not a time of day"),
    ("config-bad-minutes", "config digest 9:60", UsageError, "`9:60` is not a time of day"),
    ("config-time-missing", "config digest", UsageError, "`digest` needs a time of day"),
    ("config-bad-tz", "config tz Mars/Olympus", UsageError, "`Mars/Olympus` is not a timezone"),
    ("config-tz-folder", "config tz America/Argentina", UsageError, "is not a timezone"),
    ("config-tz-no-city", "config tz EST", UsageError, "`EST` is not a timezone"),
    ("config-tz-path", "config tz ../../etc/passwd", UsageError, "is not a timezone"),
    ("config-tz-missing", "config tz", UsageError, "`tz` needs an Area/City name"),
    ("config-ceo-no-mention", "config ceo ana", UsageError, "`ceo` needs an @mention"),
    ("config-lead-channel", "config lead <!here>", UsageError, "got `&lt;!here&gt;`"),
    ("config-duplicate", "config digest 09:00 digest 10:00", UsageError, "given twice"),
    ("checklist-no-action", "config checklist", UsageError, "`checklist` needs `add` or `remove`"),
    ("checklist-bad-action", 'config checklist drop "X"', UsageError, "`drop` is not something"),
    ("checklist-no-title", "config checklist add", UsageError, "Give the checklist item's title"),
    ("checklist-empty-title", 'config checklist remove ""', UsageError, "item's title, in quotes"),
    ("checklist-unclosed", 'config checklist add "User journey', UsageError, "no closing one"),
    ("checklist-lone-quote", 'config checklist add "', UsageError, "no closing one"),
    ("checklist-too-long", f'config checklist add "{"x" * 76}"', UsageError, "76 characters long"),
    (
        "checklist-too-long-unquoted",
        "config checklist add " + "y" * 80,
        UsageError,
        "80 characters",
    ),
    (
        "checklist-escapes-count-once",
        'config checklist add "' + "&amp;" * 76 + '"',
        UsageError,
        "76 characters",
    ),
    ("checklist-control-char", 'config checklist add "a\x07b"', UsageError, "control characters"),
    ("checklist-after-settings", f'config lead {LI} checklist add "X"', UsageError, "of its own"),
    ("treatment-no-tier", "config treatment", UsageError, "`treatment` needs a customer tier"),
    ("treatment-unknown-tier", 'config treatment vip "X"', UsageError, "`vip` is not a customer"),
    ("treatment-no-text", "config treatment churned", UsageError, "churned tier's treatment"),
    ("treatment-empty-text", 'config treatment new ""', UsageError, "new tier's treatment, in"),
    ("treatment-unclosed", 'config treatment new "Welcome', UsageError, "no closing one"),
    ("treatment-too-long", f'config treatment new "{"x" * 76}"', UsageError, "76 characters"),
    ("treatment-after-settings", f"config lead {LI} treatment new reset", UsageError, "its own"),
    ("list-extra-words", "list everything now", UsageError, "Unexpected `everything now`"),
    ("show-extra-words", "show dau please", UsageError, "Unexpected `please` at the end"),
    ("too-long", LONG, UsageError, "513 characters long; the limit is 500"),
]


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_commands_say_what_is_wrong_and_how_to_fix_it(
    text: str, error: type[GoalpulseError], fragment: str
) -> None:
    """A malformed command raises its error class with a clear message and a working example."""
    with pytest.raises(GoalpulseError) as caught:
        parse(text)
    assert type(caught.value) is error
    assert fragment in error_text(caught.value)
    assert caught.value.example is not None
    corrected = parse(as_typed(caught.value.example))
    assert isinstance(corrected, COMMAND_TYPES)
    assert not isinstance(corrected, ShowHelp) or error is UsageError


def test_malformed_table_is_large_and_unique() -> None:
    """The refusal table covers at least 30 distinct inputs."""
    assert len({text for _, text, _, _ in MALFORMED}) == len(MALFORMED) >= 30


HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("pause <!here>", "&lt;!here&gt;"),
    ("set <!here> 150k", "&lt;!here&gt;"),
    ("show <!everyone>", "&lt;!everyone&gt;"),
    ("set dau <@U0ANA|ana>", "&lt;@U0ANA|ana&gt;"),
    ("set dau 150k <@U0ANA>", "&lt;@U0ANA&gt;"),
    ("set dau 150k owner <!subteam^S1|devs>", "&lt;!subteam^S1|devs&gt;"),
    ("list <https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
    ("list <#C0GENERAL|general>", "&lt;#C0GENERAL|general&gt;"),
    ("set a&b 150k", "a&amp;b"),
    ("set dau 1&2", "1&amp;2"),
    ("show dau &lt;!channel&gt;", "`&lt;!channel&gt;`"),  # Slack escapes typed < >; shown once
    ("config <!channel> x", "&lt;!channel&gt;"),
    ("config tz <!here>", "&lt;!here&gt;"),
    ("config digest <!here>", "&lt;!here&gt;"),
    ("config checklist <!channel> x", "&lt;!channel&gt;"),
    ("config treatment <!channel> x", "&lt;!channel&gt;"),
    ("thresholds dau <!channel> 2 3", "&lt;!channel&gt;"),
    ("set dau 150k by <!date^1700000000^{date}|today>", "&lt;!date^1700000000^{date}|today&gt;"),
    ("`<!channel>`", "'&lt;!channel&gt;'"),
    ("set dau 150k owner <@U0ANA|<!channel>>", "&gt;"),
]


@pytest.mark.parametrize(("text", "shown"), HOSTILE, ids=[text for text, _ in HOSTILE])
def test_user_text_in_errors_is_escaped(text: str, shown: str) -> None:
    """Mentions, broadcasts, links and `&` typed by a user come back escaped and inert."""
    with pytest.raises(GoalpulseError) as caught:
        parse(text)
    assert shown in error_text(caught.value)
    assert_inert(error_text(caught.value))


@pytest.mark.parametrize(
    "text", [case[1] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_every_refusal_message_is_inert_mrkdwn(text: str) -> None:
    """No refusal message carries a raw `<`, `>` or `&` that Slack would act on."""
    with pytest.raises(GoalpulseError) as caught:
        parse(text)
    assert_inert(error_text(caught.value))


def test_long_user_text_is_shortened_in_the_message() -> None:
    """A long token is cut in the reply, without splitting an escape sequence."""
    with pytest.raises(UsageError) as caught:
        parse("show dau " + "<!channel>" * 40)
    assert "…" in error_text(caught.value)
    assert len(error_text(caught.value)) < 400
    assert_inert(error_text(caught.value))


def parse_outcome(text: str) -> str:
    """ "parsed" for a typed command, "refused" for a clean GoalpulseError; anything else fails."""
    refusal: GoalpulseError | None = None
    try:
        result: object = parse(text)
    except GoalpulseError as exc:  # any other exception fails the test
        refusal = exc
    if refusal is None:
        return "parsed" if isinstance(result, COMMAND_TYPES) else f"unexpected {result!r}"
    assert_inert(error_text(refusal))
    assert refusal.example is not None, error_text(refusal)
    assert isinstance(parse(as_typed(refusal.example)), COMMAND_TYPES)
    return "refused"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    """Arbitrary text gives a command or a GoalpulseError with inert text, never a crash."""
    assert parse_outcome(text) in ("parsed", "refused")


KEYWORDS = [
    "set", "list", "show", "thresholds", "pause", "resume", "remove", "config", "help",
    "higher", "lower", "either", "by", "owner", "lead", "ceo", "digest", "tz", "timezone",
    "dau", "next_day_retention", "aov", "complaint_rate", "nps", "revenue", "DAU",
    "checklist", "add", "remove", '"', "\u201c", "\u201d",
    "treatment", "high_value", "high-value", "churned", "reset",
]  # fmt: skip
VALUES = [
    "150000", "150k", "1.2M", "30%", "35", "¥520", "$5", "-5", "0", ".5", "1,5k", "1e5",
    "2027-03-31", "2026-11-24", "2026-13-01", "26-1-1", "09:30", "25:00", "9:5",
    "Europe/Berlin", "Mars/Olympus", "America/Argentina", "UTC", "../x",
    "<@U0ANA|ana>", "<@U0LI>", "<@u0x>", "<!channel>", "<!here>", "<#C1|general>", "&", "`",
]  # fmt: skip
TOKENS = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(VALUES),
    st.text(min_size=1, max_size=12),
    st.from_regex(r"[<>@!|&^#\-%.,0-9A-Za-z]{1,10}", fullmatch=True),
)
SEPARATORS = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0"])


@st.composite
def grammar_like(draw: st.DrawFn) -> str:
    words = draw(st.lists(TOKENS, max_size=12))
    if draw(st.booleans()):
        words.insert(0, draw(st.sampled_from(KEYWORDS[:9])))
    text = ""
    for word in words:
        text += word + draw(SEPARATORS)
    return text


@settings(max_examples=300, deadline=None)
@given(grammar_like())
def test_grammar_shaped_text_parses_or_is_refused_cleanly(text: str) -> None:
    """Keyword soup near the grammar gives a command or a clean, inert GoalpulseError."""
    assert parse_outcome(text) in ("parsed", "refused")


def language(locale: str | None, *, workspace: bool = False) -> Configure:
    return Configure(ConfigChange(language=LanguageChange(locale, workspace=workspace)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("设定 dau 150k", goal("dau", 150000), id="sheding-is-set"),
        pytest.param("列表", ListGoals(), id="liebiao-is-list"),
        pytest.param("显示 dau", ShowGoal("dau"), id="xianshi-is-show"),
        pytest.param("帮助", ShowHelp(), id="bangzhu-is-help"),
        pytest.param("配置 language zh", language("zh-CN"), id="peizhi-is-config"),
        pytest.param("config language zh-CN", language("zh-CN"), id="language-zh-CN"),
        pytest.param("config language zh_CN", language("zh-CN"), id="language-zh_CN"),
        pytest.param("config language 中文", language("zh-CN"), id="language-zhongwen"),
        pytest.param("config language English", language("en"), id="language-English"),
        pytest.param("config language off", language(None), id="language-off"),
        pytest.param("config language default", language(None), id="language-default"),
        pytest.param(
            "config workspace language zh-CN",
            language("zh-CN", workspace=True),
            id="workspace-language",
        ),
        pytest.param(
            "config workspace language off", language(None, workspace=True), id="workspace-off"
        ),
    ],
)
def test_chinese_subcommands_and_language_settings_parse(text: str, expected: Command) -> None:
    """Chinese subcommand names read as the English ones; a language is read in any spelling."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("config language klingon", "`klingon` is not a language", id="unknown"),
        pytest.param("config language", "`language` needs one of `en`, `zh-CN`", id="missing"),
        pytest.param("config workspace tz UTC", "is `language`", id="workspace-other-setting"),
    ],
)
def test_language_refusals_list_the_choices(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)
    assert fragment in error_text(raised.value)
    assert raised.value.example is not None
    assert isinstance(parse(as_typed(raised.value.example)), Configure)


def test_checkin_aliases_parse_as_checkin() -> None:
    for word in ("签到", "打卡"):
        assert parse(f"{word} aov 42") == parse("checkin aov 42")
