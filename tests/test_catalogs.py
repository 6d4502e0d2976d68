"""The message catalogs: every sentence in the code has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from jobs.i18n import ZH_CN, _, load_catalog, ngettext, use_locale

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*(?:![rs])?(?::[^{}]*)?\}")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _extracted() -> dict[str | tuple[str, str], list[str]]:
    found: dict[str | tuple[str, str], list[str]] = {}
    for package in ("bot", "jobs"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if not message or (isinstance(message, tuple) and not all(message)):
                continue
            key = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, []).append(f"{package}/{filename}:{lineno}")
    return found


EXTRACTED = _extracted()
CATALOG = load_catalog(ZH_CN)


def _where(key: object) -> str:
    return ", ".join(EXTRACTED.get(key, [])[:3])  # type: ignore[call-overload]


def test_the_code_has_messages_to_translate() -> None:
    assert len(EXTRACTED) > 50


def test_every_message_has_a_chinese_translation() -> None:
    missing = []
    for key in EXTRACTED:
        message = CATALOG.get(key)
        strings = () if message is None else message.string
        strings = (strings,) if isinstance(strings, str) else strings
        if not strings or not all(strings):
            missing.append(f"{key!r} ({_where(key)})")
    assert not missing, "no zh_CN translation in jobs/locale for:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for message in CATALOG:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                wrong.append(f"{ids[0]!r} → {string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_translations_are_chinese() -> None:
    """A translation with words in it is written in Chinese, not copied over in English."""
    copied = []
    for message in CATALOG:
        if not message.id or not message.string:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        bare = PLACEHOLDER.sub("", message.id if isinstance(message.id, str) else message.id[0])
        if re.search(r"[A-Za-z]{2}", bare) and not all(CJK.search(s) for s in strings):
            copied.append(repr(message.id))
    assert not copied, "not translated into Chinese:\n" + "\n".join(copied)


def test_no_catalog_entry_is_left_from_deleted_code() -> None:
    stale = [repr(m.id) for m in CATALOG if m.id and m.id not in EXTRACTED]
    assert not stale, "in jobs/locale but no longer in the code:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        pytest.param("en", 1, "1 goal", id="en-one"),
        pytest.param("en", 3, "3 goals", id="en-many"),
        pytest.param("zh-CN", 1, "1 个目标", id="zh-one"),
        pytest.param("zh-CN", 3, "3 个目标", id="zh-many"),
    ],
)
def test_plural_forms_follow_the_locale(locale: str, count: int, expected: str) -> None:
    with use_locale(locale):
        assert ngettext("{n} goal", "{n} goals", count).format(n=count) == expected


def test_unknown_locale_speaks_english() -> None:
    with use_locale("ja-JP"):
        assert _("{n} goal") == "{n} goal"
