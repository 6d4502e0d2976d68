"""A channel that chose Chinese is answered in Chinese, through the real HTTP endpoint (the
language middleware, bot/locale_middleware.py)."""

from __future__ import annotations

from tests.support.chinese import english_left
from tests.support.conversation import reply_text, run
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack


async def test_a_channel_reads_the_language_it_chose(
    slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`config language zh-CN` is answered in Chinese, and so is everything after it in that
    channel (replies after the ack and refusals in the ack); other channels stay English until
    the workspace's language changes, and `off` goes back to the workspace's."""
    said = await run(slack, fake_slack, "config language 中文")
    assert "本频道将使用简体中文" in said
    assert "*语言*\n简体中文 (`zh-CN`)（频道）" in said

    listed = await run(slack, fake_slack, "列表")
    assert "本频道还没有目标" in listed
    assert english_left(listed) == []
    status, ack, _tag = await slack.command("set dau lots")
    assert status == 200
    assert ack is not None
    assert "不是数字" in reply_text(ack)

    assert "no goals yet" in await run(slack, fake_slack, "list", channel="C0OTHER")
    admin = await run(slack, fake_slack, "config workspace language zh", user="U0ADMIN")
    assert "未单独设置语言的频道将使用简体中文" in admin
    assert "本频道还没有目标" in await run(slack, fake_slack, "list", channel="C0OTHER")

    await run(slack, fake_slack, "config workspace language en", user="U0ADMIN")
    back = await run(slack, fake_slack, "config language off")
    assert "This channel reads the workspace's language again." in back
