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

from jobs.metrics.locale_numbers import EN, LOCALES, ZH_CN, normalise_locale

CATALOG_DIR: Final = Path(__file__).parent / "locale"
# Catalog folder per locale, as gettext names them (the tag people type is zh-CN).
CATALOG_NAMES: Final = {ZH_CN: "zh_CN"}

_current: ContextVar[str] = ContextVar("goalpulse_locale", default=EN)


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


def pick_locale(*candidates: str | None) -> str:
    """The first candidate goalpulse speaks (`zh_CN` and `zh-Hans` read as `zh-CN`), else English.

    Slack's own tags (`zh-CN`, `en-US`, `ja-JP`) are accepted: one we do not speak is skipped.
    """
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return normalise_locale(candidate)
        except ValueError:
            continue
    return EN


def _(message: str) -> str:
    """`message` in the locale in force."""
    return _translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the locale in force (Chinese has one form for every count)."""
    return _translations(current_locale()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for the marker
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
    "ZH_CN",
    "N_",
    "_",
    "current_locale",
    "load_catalog",
    "ngettext",
    "pick_locale",
    "use_locale",
]
