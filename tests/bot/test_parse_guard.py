"""`/goal guard` and `/goal unguard`: every valid form, and every refusal with a working example."""

from __future__ import annotations

import pytest

from bot.commands.parse import Command
from bot.commands.parse_guard import GuardGoal, UnguardGoal
from bot.render.text import error_text
from jobs.errors import GoalpulseError, NotFoundError, UsageError
from tests.bot.test_parse import COMMAND_TYPES, as_typed, assert_inert, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "guard aov with complaint_rate", GuardGoal("aov", "complaint_rate"), id="default"
        ),
        pytest.param(
            "guard aov with complaint_rate 15%",
            GuardGoal("aov", "complaint_rate", 0.15),
            id="threshold-percent",
        ),
        pytest.param(
            "guard aov with complaint_rate 5",
            GuardGoal("aov", "complaint_rate", 0.05),
            id="threshold-bare-number",
        ),
        pytest.param(
            "GUARD AOV WITH Complaint_Rate 12.5%",
            GuardGoal("aov", "complaint_rate", 0.125),
            id="any-case",
        ),
        pytest.param(
            "guard dau with nps 150%", GuardGoal("dau", "nps", 1.5), id="over-a-hundred-percent"
        ),
        pytest.param(
            "unguard aov complaint_rate", UnguardGoal("aov", "complaint_rate"), id="unguard"
        ),
        pytest.param(
            "unguard aov with complaint_rate",
            UnguardGoal("aov", "complaint_rate"),
            id="unguard-with",
        ),
    ],
)
def test_guard_commands_parse(text: str, expected: Command) -> None:
    """Each valid form gives the typed command with the metrics and the threshold (a fraction)."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        pytest.param("guard", UsageError, "Name the metric", id="nothing"),
        pytest.param("guard aov", UsageError, "nothing follows", id="no-with"),
        pytest.param("guard aov complaint_rate", UsageError, "Write `with`", id="with-missing"),
        pytest.param("guard aov with", UsageError, "Name the metric", id="no-guard-metric"),
        pytest.param("guard aov with aov", UsageError, "cannot guard its own", id="itself"),
        pytest.param("guard gmv with aov", NotFoundError, "no metric", id="unknown-goal-metric"),
        pytest.param("guard aov with refunds", NotFoundError, "no metric", id="unknown-guard"),
        pytest.param("guard aov with nps lots", UsageError, "not a percentage", id="not-number"),
        pytest.param("guard aov with nps 0%", UsageError, "above 0", id="zero"),
        pytest.param("guard aov with nps -5%", UsageError, "above 0", id="negative"),
        pytest.param("guard aov with nps 1000%", UsageError, "below 1000", id="too-large"),
        pytest.param("guard aov with nps ¥5", UsageError, "not a percentage", id="currency"),
        pytest.param("guard aov with nps 10% daily", UsageError, "Unexpected", id="extra-word"),
        pytest.param("unguard", UsageError, "Name the metric", id="unguard-nothing"),
        pytest.param("unguard aov", UsageError, "Name the metric", id="unguard-no-guard"),
        pytest.param("unguard aov aov", UsageError, "cannot guard its own", id="unguard-itself"),
        pytest.param("unguard aov nps now", UsageError, "Unexpected", id="unguard-extra"),
        pytest.param("unguard aov <!channel>", UsageError, "not a metric key", id="broadcast"),
    ],
)
def test_guard_refusals_say_why_with_a_working_example(
    text: str, error: type[GoalpulseError], fragment: str
) -> None:
    """A guard command that can't be read says why, inertly, with an example that parses."""
    with pytest.raises(error) as caught:
        parse(text)
    message = error_text(caught.value)
    assert fragment in message
    assert_inert(message)
    assert caught.value.example is not None
    assert isinstance(parse(as_typed(caught.value.example)), COMMAND_TYPES)
