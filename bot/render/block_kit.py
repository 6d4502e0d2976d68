"""The Block Kit pieces every renderer builds with: a mrkdwn section, a context line, and
Slack's limit on blocks in one message. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

MAX_BLOCKS = 50  # Slack refuses a message with more


def section_block(text: str) -> SectionBlock:
    """A section holding mrkdwn `text`."""
    return SectionBlock(text=MarkdownTextObject(text=text))


def context_block(text: str) -> ContextBlock:
    """A context line (small grey text) holding mrkdwn `text`."""
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
