"""The DMs about a failing source, as Block Kit: `bot.render.source`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.render.escalation import render
from jobs.messages import AffectedGoal, SourceNotice
from tests.bot.test_render_escalation import as_dicts, texts
from tests.support.fake_slack import block_errors, message_error

SINCE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ERROR = "dau: dau.csv: file not found"
FAILING = SourceNotice(
    "dau",
    "Daily active users",
    SINCE,
    ERROR,
    (
        AffectedGoal("dau", "Daily active users", "C0GROWTH"),
        AffectedGoal("dau_k", "DAU in thousands", "C0OPS", derived=True),
    ),
)
RECOVERED = replace(FAILING, error=None, recovered_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


def everything(notice: SourceNotice) -> str:
    text, blocks = render(notice)
    body = {"text": text, "blocks": as_dicts(blocks)}
    assert block_errors(body["blocks"]) == []
    assert message_error(body) is None
    return text + "\n" + json.dumps(body["blocks"], ensure_ascii=False)


def test_failure_dm_names_the_metric_the_error_the_goals_and_the_command() -> None:
    """The failure DM says which metric, what went wrong, whose goals and how to diagnose."""
    text, blocks = render(FAILING)
    shown = texts(blocks)
    assert "*Daily active users* (`dau`) cannot be pulled" in shown
    assert f"`{ERROR}`" in shown
    assert f"<!date^{int(SINCE.timestamp())}^" in shown
    assert "*Daily active users* in <#C0GROWTH>" in shown
    assert "*DAU in thousands* in <#C0OPS> (computed from it)" in shown
    assert "`goalpulse check`" in shown
    assert "Daily active users" in text
    assert ERROR in text
    assert "goalpulse check" in text


def test_recovery_dm_says_it_works_again_without_the_error() -> None:
    """The recovery DM says the source works again and the goals are measured again."""
    text, blocks = render(RECOVERED)
    shown = texts(blocks)
    assert "*Daily active users* (`dau`) is pulled again" in shown
    assert "measured again" in shown
    assert "*DAU in thousands* in <#C0OPS>" in shown
    assert "works again" in text
    assert "goalpulse check" not in text + shown
    assert "file not found" not in text + shown


def test_title_and_error_are_escaped() -> None:
    """A metric title with `<!channel>` or an error quoting `<!here>` never pings or links."""
    hostile = replace(
        FAILING,
        title="Daily <!channel> users",
        error="dau: http://x said <!here> & <@U0BOSS> `oops`",
        goals=(AffectedGoal("dau", "Daily <!channel> users", "C0GROWTH"),),
    )
    for notice in (hostile, replace(hostile, error=None, recovered_at=SINCE)):
        shown = everything(notice)
        for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<http"):
            assert raw not in shown
        assert "Daily &lt;!channel&gt; users" in shown
    assert "&lt;!here&gt; &amp; &lt;@U0BOSS&gt; 'oops'" in texts(render(hostile)[1])


def test_odd_channel_ids_and_many_goals_stay_inside_slack_limits() -> None:
    """A channel id that is not one is left out; past ten goals the rest are counted."""
    goals = tuple(AffectedGoal(f"m{n}", f"Metric {n}", "C0GROWTH") for n in range(12))
    shown = everything(replace(FAILING, goals=(AffectedGoal("dau", "DAU", "<!here>"), *goals)))
    assert "<#<!here>>" not in shown
    assert "*DAU*," in shown
    assert "3 more" in shown
    assert "Metric 8" in shown
    assert "Metric 9" not in shown


def test_a_dataset_notice_names_the_dataset_and_every_metric_it_stops() -> None:
    """About a dataset: the DMs name it and list its metrics, escaped and cut like the goals."""
    metrics = ("Orders", "<!channel> GMV", *(f"Metric {n}" for n in range(10)))
    failing = replace(FAILING, datasets=("orders",), metrics=metrics)
    text, blocks = render(failing)
    shown = texts(blocks)
    assert "The *orders* dataset cannot be read" in shown
    assert "*Orders*, *&lt;!channel&gt; GMV*, *Metric 0*" in shown
    assert "Metric 8" not in shown
    assert "2 more cannot be pulled" in shown
    assert f"`{ERROR}`" in shown
    assert text.startswith(f"The orders dataset cannot be read: {ERROR}.")
    recovered = replace(failing, error=None, recovered_at=SINCE)
    assert "The orders dataset can be read again" in render(recovered)[0]
    both = everything(replace(failing, datasets=("orders", "activity")))
    assert "The *orders* and *activity* datasets cannot be read" in both
    assert "<!channel>" not in both + everything(recovered)
