"""Block Kit as terminal text: what a Slack reply would say, readable in a shell. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.text import unescape_slack
from jobs.i18n import _

# The shortcodes goalpulse sends; any other shortcode is shown as typed.
EMOJI: Mapping[str, str] = {
    "white_circle": "⚪",
    "busts_in_silhouette": "👥",
    "frame_with_picture": "🖼️",
    "grey_question": "❔",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "large_orange_circle": "🟠",
    "red_circle": "🔴",
    "warning": "⚠️",
    "dart": "🎯",
    "gear": "⚙️",
    "straight_ruler": "📏",
    "wastebasket": "🗑️",
    "double_vertical_bar": "⏸️",
    "arrow_forward": "▶️",
    "boom": "💥",
    "memo": "📝",
    "inbox_tray": "📥",
    "no_entry_sign": "🚫",
    "ok_hand": "👌",
    "chart_with_downwards_trend": "📉",
    "hourglass": "⌛",
    "mailbox_with_mail": "📬",
    "white_check_mark": "✅",
    "white_large_square": "⬜",
    "ballot_box_with_check": "☑️",
    "alarm_clock": "⏰",
    "zzz": "💤",
    "rotating_light": "🚨",
    "point_right": "👉",
    "clipboard": "📋",
    "shield": "🛡️",
    "tada": "🎉",
}
CHECKED, UNCHECKED = "☑", "☐"

BOLD, DIM, ITALIC, UNDERLINE = "\033[1m", "\033[2m", "\033[3m", "\033[4m"
CODE, RESET = "\033[36m", "\033[0m"
COLUMN_GAP = 4

_CODE_SPAN = re.compile(r"(```[\s\S]*?```|`[^`\n]+`)")
_ANGLE = re.compile(r"<([^<>\s][^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_UNBREAKABLE = re.compile(r"`[^`\n]+`|\033\[[0-9;]*m[^\033\n]*\033\[0m")
_NBSP = "\x01"
_STYLES = (("*", BOLD), ("_", ITALIC), ("~", ""))


def _marker(char: str) -> re.Pattern[str]:
    c = re.escape(char)
    return re.compile(rf"(?<![\w{c}]){c}(?=\S)([^{c}\n]*?\S){c}(?![\w{c}])")


_MARKERS = {char: _marker(char) for char, _ in _STYLES}


@dataclass(frozen=True)
class _Names:
    """What Slack would show for ids: user id -> name, channel id -> name."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


def blocks_to_text(
    blocks: Sequence[Block | Mapping[str, Any]],
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    color: bool = False,
    width: int = 80,
) -> str:
    """Render blocks as text lines of about `width` columns; ANSI styles only if `color`.

    `users` and `channels` map ids to names, so `<@U0LI>` reads `@li` and `<#C0OPS>` `#ops`.
    """
    names = _Names(users or {}, channels or {})
    parts: list[str] = []
    previous: Mapping[str, Any] = {}
    for block in blocks:
        data = block.to_dict() if isinstance(block, Block) else block
        kind = str(data.get("type", ""))
        text = _block(kind, data, names, color, width)
        if text is None:
            continue
        # Like Slack: space between blocks, but a context sits right under a short section.
        attached = previous.get("type") == "header" or (
            kind == "context" and previous.get("type") == "section" and not previous.get("fields")
        )
        if parts and not attached:
            parts.append("")
        parts.append(text)
        previous = data
    return "\n".join(parts)


def mrkdwn_to_text(
    text: str,
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    color: bool = False,
    base: str = "",
) -> str:
    """Translate Slack mrkdwn: mentions, links, bold/italic/strike, escapes and emoji.

    `base` is the ANSI style of the surrounding text, restored after each inline style.
    """
    return _mrkdwn(text, _Names(users or {}, channels or {}), color, base)


def _mrkdwn(text: str, names: _Names, color: bool, base: str) -> str:
    out: list[str] = []
    for index, piece in enumerate(_CODE_SPAN.split(text)):
        if index % 2:
            code = unescape_slack(piece)
            out.append(_styled(code, CODE, base) if color else code)
        else:
            out.append(_prose(piece, names, color, base))
    return "".join(out)


def _prose(text: str, names: _Names, color: bool, base: str) -> str:
    # Links and mentions are set aside first so URLs and names are never read as markup.
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(_angle(match[1], names))
        return f"\x00{len(kept) - 1}\x00"

    text = _ANGLE.sub(keep, text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m[1], m[0]), text)
    for char, style in _STYLES:
        styled = _styled(r"\1", style, base) if color and style else r"\1"
        text = _MARKERS[char].sub(styled, text)
    text = unescape_slack(text)
    return _PLACEHOLDER.sub(lambda m: kept[int(m[1])], text)


def _angle(inner: str, names: _Names) -> str:
    target, _, label = unescape_slack(inner).partition("|")
    if target.startswith("@"):
        user_id = target[1:]
        return "@" + names.users.get(user_id, label or user_id)
    if target.startswith("#"):
        channel_id = target[1:]
        return "#" + names.channels.get(channel_id, label or channel_id)
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        return label or f"@{special}"
    return f"{label} ({target})" if label else target


def _styled(text: str, style: str, base: str) -> str:
    return f"{style}{text}{RESET}{base}"


def _text_object(obj: object, names: _Names, color: bool, base: str = "") -> str:
    if not isinstance(obj, Mapping):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return _mrkdwn(text, names, color, base)
    return unescape_slack(_EMOJI.sub(lambda m: EMOJI.get(m[1], m[0]), text))


def _block(
    kind: str, data: Mapping[str, Any], names: _Names, color: bool, width: int
) -> str | None:
    """The block as text, or None for a kind the terminal does not show."""
    draw = _BLOCKS.get(kind)
    return draw(data, names, color, width) if draw else None


def _header(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    """The title, bold and underlined, or ruled under without color."""
    title = _text_object(data.get("text"), names, color)
    if color:
        return f"{BOLD}{UNDERLINE}{title}{RESET}"
    return f"{title}\n{'─' * display_width(title)}"


def _context(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    """The elements on one wrapped line, dimmed."""
    base = DIM if color else ""
    texts = [_text_object(e, names, color, base) for e in data.get("elements", [])]
    text = wrap_text("  ".join(t for t in texts if t), width)
    return "\n".join(f"{DIM}{line}{RESET}" for line in text.splitlines()) if color else text


def _divider(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    return "─" * width


def _actions(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    """Other elements one to a line, then the buttons side by side on the last line."""
    lines: list[str] = []
    buttons: list[str] = []
    for element in data.get("elements", []):
        if not isinstance(element, Mapping):
            continue
        if element.get("type", "button") == "button":
            buttons += _element(element, names, color)
        else:
            lines += _element(element, names, color)
    return "\n".join([*lines, "  ".join(buttons)] if buttons else lines)


def _image(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    return _("[image: {alt_text}]").format(alt_text=data.get("alt_text", ""))


def _section(data: Mapping[str, Any], names: _Names, color: bool, width: int) -> str:
    """Text, fields, and an accessory: a one-line one on the right of the first line, as in
    Slack (the text narrows to make room); a longer one under the text."""
    accessory = data.get("accessory")
    controls = _element(accessory, names, color) if isinstance(accessory, Mapping) else []
    beside = controls[0] if len(controls) == 1 and data.get("text") else None
    room = width - display_width(beside) - COLUMN_GAP if beside else width
    lines = []
    if data.get("text"):
        text = wrap_text(_text_object(data["text"], names, color), max(room, width // 2))
        if beside:
            first, _, rest = text.partition("\n")
            text = f"{first}{' ' * max(2, room - display_width(first) + COLUMN_GAP)}{beside}"
            text += f"\n{rest}" if rest else ""
        lines.append(text)
    if data.get("fields"):
        lines.append(_columns([_text_object(f, names, color) for f in data["fields"]]))
    if not beside:
        lines += controls
    return "\n".join(line for line in lines if line)


# How each kind of block is drawn; all take (block, names, color, width), used or not.
_BLOCKS: Mapping[str, Callable[[Mapping[str, Any], _Names, bool, int], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "image": _image,
}


def _element(element: Mapping[str, Any], names: _Names, color: bool) -> list[str]:
    """An interactive element as lines: `[ Resolve ]`, `☑ Competitor scan`, `[ @ana ▾ ]`."""
    kind = element.get("type", "button")
    if kind == "button" and element.get("text"):
        return [f"[ {_text_object(element['text'], names, color)} ]"]
    if kind == "checkboxes":
        chosen = {
            option.get("value")
            for option in element.get("initial_options") or []
            if isinstance(option, Mapping)
        }
        return [
            f"{CHECKED if option.get('value') in chosen else UNCHECKED} "
            f"{_text_object(option.get('text'), names, color)}"
            for option in element.get("options") or []
            if isinstance(option, Mapping)
        ]
    if kind == "users_select":
        user = element.get("initial_user")
        if isinstance(user, str):
            return [f"[ @{names.users.get(user, user)} ▾ ]"]
        placeholder = _text_object(element.get("placeholder"), names, color) or _("Choose a user")
        return [f"[ {placeholder} ▾ ]"]
    return []


def wrap_text(text: str, width: int) -> str:
    """Greedy wrap by display width: at spaces, and between wide (CJK) characters, never
    before closing punctuation (`，。）`) nor after opening (`（“`); code and styled spans are
    never split. Text without wide characters wraps at its spaces only."""
    text = _UNBREAKABLE.sub(lambda m: m[0].replace(" ", _NBSP), text)
    out: list[str] = []
    for line in text.splitlines() or [""]:
        current = ""
        for joint, piece in _pieces(line):
            candidate = f"{current}{joint}{piece}" if current else piece
            if current and display_width(candidate) > width:
                out.append(current)
                current = piece
            else:
                current = candidate
        out.append(current)
    return "\n".join(out).replace(_NBSP, " ")


_SPAN = re.compile(r"\033\[[0-9;]*m[^\033\n]*\033\[0m|`[^`\n]+`")
# Chinese line breaking: these never start a line, those never end one.
_NO_START = set("，。、：；！？）」』》〉】”’…·%")
_NO_END = set("（「『《〈【“‘")


def _pieces(line: str) -> list[tuple[str, str]]:
    """The line as (joint, piece) pairs a line may break before: words (joint " ") and, inside
    a word, each wide character (joint ""); styled and code spans stay whole."""
    pieces: list[tuple[str, str]] = []
    for word in line.split(" "):
        joint = " " if pieces else ""
        units = _units(word) or [""]
        pieces.append((joint, units[0]))
        for unit in units[1:]:
            before = pieces[-1][1]
            breakable = _is_wide(unit[0]) or _is_wide(before[-1])
            if breakable and unit[0] not in _NO_START and before[-1] not in _NO_END:
                pieces.append(("", unit))
            else:
                pieces[-1] = (pieces[-1][0], before + unit)
    return pieces


def _units(word: str) -> list[str]:
    """A word cut into styled or code spans, wide characters, and runs of the rest."""
    units: list[str] = []
    position = 0
    for match in _SPAN.finditer(word):
        units += _characters(word[position : match.start()])
        units.append(match[0])
        position = match.end()
    return units + _characters(word[position:])


def _characters(text: str) -> list[str]:
    units: list[str] = []
    for char in text:
        if units and not _is_wide(char) and not _is_wide(units[-1][-1]):
            units[-1] += char
        else:
            units.append(char)
    return units


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _columns(fields: Sequence[str]) -> str:
    """Fields two per row, the left column padded to line up; a blank line between rows."""
    rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    left = max((display_width(line) for row in rows for line in row[0].splitlines()), default=0)
    out: list[str] = []
    for row in rows:
        a, b = row[0].splitlines(), (row[1].splitlines() if len(row) > 1 else [])
        if out:
            out.append("")
        for i in range(max(len(a), len(b))):
            first = a[i] if i < len(a) else ""
            second = b[i] if i < len(b) else ""
            pad = " " * (left - display_width(first) + COLUMN_GAP) if second else ""
            out.append(f"{first}{pad}{second}".rstrip())
    return "\n".join(out)


_ANSI = re.compile(r"\033\[[0-9;]*m")


def display_width(text: str) -> int:
    """Columns a terminal uses for `text`: wide characters and emoji count two, styles none."""
    width = 0
    for char in _ANSI.sub("", text):
        if char == "\ufe0f":
            width += 1  # emoji presentation widens the character before it
        elif unicodedata.combining(char) or unicodedata.category(char) == "Cf":
            continue
        else:
            width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width
