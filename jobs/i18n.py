"""The language people read, and the message catalogs that say it in theirs.

Every sentence goalpulse shows a person goes through `_` (or `ngettext`) in English, with
`{name}` placeholders filled by `.format` after translation; the catalogs under jobs/locale
hold the Simplified Chinese (`make messages` extracts new strings; tests/test_catalogs.py fails
on any without a translation). The language in force is a context variable: a request or a
delivery sets it with `use_locale` around the code that builds what people read, and each
asyncio task sees its own.

Words made before the reader is known (stored checklist titles, data built in jobs/ and
rendered in bot/) are marked with `N_` where they are written and translated with `_(text)`
where they are rendered.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

EN: Final = "en"
ZH_CN: Final = "zh-CN"
LOCALES: Final = (EN, ZH_CN)

# Tags are compared lower-cased with `_` read as `-`; each names one of LOCALES.
_ALIASES: Final = {
    "en": EN,
    "en-us": EN,
    "en-gb": EN,
    "zh": ZH_CN,
    "zh-cn": ZH_CN,
    "zh-hans": ZH_CN,
}

CATALOG_DIR: Final = Path(__file__).parent / "locale"
# Catalog folder per locale, as gettext names them (the tag people type is zh-CN).
CATALOG_NAMES: Final = {ZH_CN: "zh_CN"}

_current: ContextVar[str] = ContextVar("goalpulse_locale", default=EN)


def normalise_locale(text: str) -> str:
    """`zh`, `zh-CN`, `zh_CN`, `zh-Hans` → `zh-CN`; `en`, `en-US`, `en-GB` → `en`.

    Raises ValueError for any other tag, naming the locales there are.
    """
    found = _ALIASES.get(text.strip().replace("_", "-").lower())
    if found is None:
        raise ValueError(f"{text!r} is not a locale goalpulse speaks; use one of {LOCALES}")
    return found


def current_locale() -> str:
    """The locale in force here: `en` unless a caller chose another with `use_locale`."""
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Speak `locale` (normalised; None or an unknown tag keeps English) inside the block."""
    chosen = pick_locale(locale)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> str:
    """Speak `locale` for the rest of the current task (a Bolt middleware's request: Bolt runs
    the listener after the middleware has returned, so a `with` block would end too soon)."""
    chosen = pick_locale(locale)
    _current.set(chosen)
    return chosen


def spoken(tag: object) -> str | None:
    """The locale a tag names if goalpulse speaks it (`zh_CN`, `zh-Hans` → `zh-CN`; Slack's
    `en-US` → `en`), else None (`ja-JP`, not a string)."""
    if not isinstance(tag, str) or not tag:
        return None
    try:
        return normalise_locale(tag)
    except ValueError:
        return None


def pick_locale(*candidates: str | None) -> str:
    """The first candidate goalpulse speaks (see `spoken`), else English."""
    for candidate in candidates:
        if (found := spoken(candidate)) is not None:
            return found
    return EN


def _(message: str) -> str:
    """`message` in the locale in force."""
    return _translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the locale in force (Chinese has one form for every count)."""
    return _translations(current_locale()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalogs without translating it yet; `_` it where it is shown."""
    return message


def load_catalog(locale: str, directory: Path = CATALOG_DIR) -> Catalog:
    """Every domain file of `locale` merged into one catalog. A message may sit in two files
    with the same translation; two different translations of it are an error."""
    merged = Catalog(locale=CATALOG_NAMES[locale], domain="goalpulse")
    for path in sorted((directory / CATALOG_NAMES[locale] / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            part = read_po(handle, locale=CATALOG_NAMES[locale])
        for message in part:
            if not message.id:
                continue
            known = merged.get(message.id)
            if known is not None and known.string and message.string != known.string:
                raise ValueError(f"{path.name}: {message.id!r} is translated otherwise elsewhere")
            if known is None or not known.string:
                merged[message.id] = message
    return merged


@cache
def _translations(locale: str) -> NullTranslations:
    if locale not in CATALOG_NAMES:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, load_catalog(locale))
    buffer.seek(0)
    return Translations(buffer, domain="goalpulse")


__all__ = [
    "CATALOG_DIR",
    "EN",
    "LOCALES",
    "N_",
    "ZH_CN",
    "_",
    "current_locale",
    "load_catalog",
    "ngettext",
    "pick_locale",
    "set_locale",
    "spoken",
    "use_locale",
]
